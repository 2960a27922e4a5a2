import assert from 'node:assert/strict';
import { SYS } from '../abi/linux/syscalls';
import { SIG } from '../abi/linux/signal';
import { fakeTask, argsOf } from '../testing/fakes';
import { signalSyscalls } from './signal';
import { SyscallControl } from './types';
import { LinuxError } from '../errors/linuxerr';
import { REG } from '../abi/linux/ptrace';
import { Block } from '../kernel/wait';
import { sigBit } from '../kernel/signal/send';
import { child, handler, sandbox } from '../kernel/signal/testing';

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

describe('signal syscalls: sending and waiting', () => {
  const call = (s: ReturnType<typeof sandbox>, name: keyof typeof signalSyscalls, nr: number, ...args: (number | bigint)[]) =>
    signalSyscalls[name]!.handler(s.task, argsOf(s.ctx, nr, ...args));
  const BUF = 0x7000_0000;
  const code = (c: string) => (e: LinuxError) => e.code === c;

  it('kill(-pgid) and kill(0) reach every process of the group; kill(-1) all but init and the caller', () => {
    const s = sandbox();
    const a = child(s.kernel, s.task.process);
    const b = child(s.kernel, s.task.process);
    b.task.process.pgid = b.task.process.pid;
    for (const p of [s.task.process, a.task.process, b.task.process]) p.sigactions.set(SIG.SIGUSR1, handler());
    assert.equal(call(s, 'kill', SYS.kill, -1, SIG.SIGUSR1), 0);
    assert.deepEqual([s.task, a.task, b.task].map((t) => t.process.sigPending.mask), [0n, sigBit(10), sigBit(10)]);
    a.task.process.sigPending.dequeue(0n);
    b.task.process.sigPending.dequeue(0n);
    assert.equal(call(s, 'kill', SYS.kill, 0, SIG.SIGUSR1), 0);
    assert.deepEqual([s.task, a.task, b.task].map((t) => t.process.sigPending.mask), [sigBit(10), sigBit(10), 0n]);
    assert.equal(call(s, 'kill', SYS.kill, -b.task.process.pid, SIG.SIGTERM), 0);
    assert.equal(b.task.process.exitStatus, SIG.SIGTERM);
    assert.equal(a.task.process.exitStatus, undefined);
    assert.throws(() => call(s, 'kill', SYS.kill, -999, SIG.SIGUSR1), code('ESRCH'));
    assert.throws(() => call(s, 'kill', SYS.kill, 1, 65), code('EINVAL'));
    // The siginfo carries SI_USER and the sender's pid.
    const q = a.task.process.sigPending.dequeue(0n);
    assert.equal(q?.info.readInt32LE(8), 0);
    assert.equal(q?.info.readInt32LE(16), s.task.process.pid);
  });

  it('tgkill checks the thread group; tkill reaches any thread with SI_TKILL', () => {
    const s = sandbox();
    const a = child(s.kernel, s.task.process);
    a.task.process.sigactions.set(SIG.SIGUSR2, handler());
    assert.throws(() => call(s, 'tgkill', SYS.tgkill, s.task.process.pid, a.task.tid, SIG.SIGUSR2), code('ESRCH'));
    assert.equal(call(s, 'tgkill', SYS.tgkill, a.task.process.pid, a.task.tid, SIG.SIGUSR2), 0);
    assert.equal(a.task.sigPending.mask, sigBit(SIG.SIGUSR2));
    assert.equal(a.task.sigPending.dequeue(0n)?.info.readInt32LE(8), -6);
    assert.equal(call(s, 'tkill', SYS.tkill, a.task.tid, 0), 0);
    assert.throws(() => call(s, 'tkill', SYS.tkill, 4242, 0), code('ESRCH'));
  });

  it('rt_sigqueueinfo: user codes go anywhere, kernel codes only to oneself (EPERM)', () => {
    const s = sandbox();
    const a = child(s.kernel, s.task.process);
    a.task.process.sigactions.set(34, handler());
    const info = Buffer.alloc(128);
    info.writeInt32LE(-1, 8); // SI_QUEUE
    info.writeBigUInt64LE(0x1234n, 24);
    s.ctx.memory.write(BUF, info);
    assert.equal(call(s, 'rt_sigqueueinfo', SYS.rt_sigqueueinfo, a.task.process.pid, 34, BUF), 0);
    const q = a.task.process.sigPending.dequeue(0n);
    assert.equal(q?.signo, 34);
    assert.equal(q?.info.readInt32LE(0), 34);
    assert.equal(q?.info.readBigUInt64LE(24), 0x1234n);
    info.writeInt32LE(0, 8); // SI_USER
    s.ctx.memory.write(BUF, info);
    assert.throws(() => call(s, 'rt_sigqueueinfo', SYS.rt_sigqueueinfo, a.task.process.pid, 34, BUF), code('EPERM'));
  });

  it('real-time signals queue every instance; standard ones coalesce', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(34) | sigBit(SIG.SIGUSR1);
    for (let i = 0; i < 3; i++) call(s, 'kill', SYS.kill, 1, 34);
    for (let i = 0; i < 3; i++) call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    let n34 = 0;
    let nUsr1 = 0;
    for (let q = s.task.process.sigPending.dequeue(0n); q; q = s.task.process.sigPending.dequeue(0n)) {
      if (q.signo === 34) n34++;
      else nUsr1++;
    }
    assert.deepEqual([n34, nUsr1], [3, 1]);
  });

  it('rt_sigpending reports pending blocked signals', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR1) | sigBit(SIG.SIGINT);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    assert.equal(call(s, 'rt_sigpending', SYS.rt_sigpending, BUF, 8), 0);
    assert.equal(s.ctx.memory.read(BUF, 8).readBigUInt64LE(0), sigBit(SIG.SIGUSR1));
  });

  it('rt_sigtimedwait takes an already pending signal and fills siginfo', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR1);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([sigBit(SIG.SIGUSR1)]).buffer));
    assert.equal(call(s, 'rt_sigtimedwait', SYS.rt_sigtimedwait, BUF, BUF + 0x100, 0, 8), SIG.SIGUSR1);
    const info = s.ctx.memory.read(BUF + 0x100, 128);
    assert.equal(info.readInt32LE(0), SIG.SIGUSR1);
    assert.equal(info.readInt32LE(16), 1);
    assert.equal(s.task.process.sigPending.mask, 0n);
  });

  it('rt_sigtimedwait: EAGAIN for a zero timeout, else blocks until the signal arrives', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR2);
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([sigBit(SIG.SIGUSR2)]).buffer));
    s.ctx.memory.write(BUF + 0x200, Buffer.alloc(16));
    assert.throws(() => call(s, 'rt_sigtimedwait', SYS.rt_sigtimedwait, BUF, 0, BUF + 0x200, 8), code('EAGAIN'));
    s.ctx.memory.write(BUF + 0x200, Buffer.from(new BigInt64Array([5n, 0n]).buffer));
    let block: Block | undefined;
    try {
      call(s, 'rt_sigtimedwait', SYS.rt_sigtimedwait, BUF, 0, BUF + 0x200, 8);
    } catch (e) {
      block = e as Block;
    }
    assert.ok(block instanceof Block);
    assert.equal(block.interrupt, 'never');
    assert.deepEqual(block.onTimeout, { errno: 11 });
    assert.ok(block.deadlineNs !== undefined);
    let woken = 0;
    block.queues[0].add(() => woken++);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR2);
    assert.equal(woken, 1);
    assert.equal(call(s, 'rt_sigtimedwait', SYS.rt_sigtimedwait, BUF, 0, BUF + 0x200, 8), SIG.SIGUSR2);
  });

  it('rt_sigtimedwait fails with EINTR when another unblocked signal with a handler arrives', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR2);
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([sigBit(SIG.SIGUSR2)]).buffer));
    assert.throws(() => call(s, 'rt_sigtimedwait', SYS.rt_sigtimedwait, BUF, 0, 0, 8), code('EINTR'));
  });

  it('rt_sigsuspend blocks, then fails with EINTR under the temporary mask', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR1);
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    s.ctx.memory.write(BUF, Buffer.alloc(8));
    assert.throws(() => call(s, 'rt_sigsuspend', SYS.rt_sigsuspend, BUF, 8), (e: unknown) => e instanceof Block && e.interrupt === 'never');
    assert.equal(s.task.sigmask, sigBit(SIG.SIGUSR1), 'no side effect before blocking');
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    assert.deepEqual(s.interrupted, [], 'blocked in the normal mask: no interrupt, the queue wakes it');
    assert.throws(() => call(s, 'rt_sigsuspend', SYS.rt_sigsuspend, BUF, 8), code('EINTR'));
    assert.equal(s.task.sigmask, 0n);
  });

  it('pause blocks until a deliverable signal is pending', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    assert.throws(() => call(s, 'pause', SYS.pause), (e: unknown) => e instanceof Block);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    assert.throws(() => call(s, 'pause', SYS.pause), code('EINTR'));
  });

  it('rt_sigaction to SIG_IGN discards the pending signal', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR1);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([1n, 0n, 0n, 0n]).buffer));
    call(s, 'rt_sigaction', SYS.rt_sigaction, SIG.SIGUSR1, BUF, 0, 8);
    assert.equal(s.task.process.sigPending.mask, 0n);
  });

  it('sigaltstack: EPERM on the alternate stack, old value reports SS_ONSTACK', () => {
    const s = sandbox();
    const ss = Buffer.alloc(24);
    ss.writeBigUInt64LE(0x7000_8000n, 0);
    ss.writeBigUInt64LE(0x4000n, 16);
    s.ctx.memory.write(BUF, ss);
    assert.equal(call(s, 'sigaltstack', SYS.sigaltstack, BUF, 0), 0);
    s.ctx.regs.set(REG.rsp, 0x7000_9000n);
    assert.throws(() => call(s, 'sigaltstack', SYS.sigaltstack, BUF, 0), code('EPERM'));
    assert.equal(call(s, 'sigaltstack', SYS.sigaltstack, 0, BUF + 0x40), 0);
    assert.equal(s.ctx.memory.read(BUF + 0x48, 4).readInt32LE(0), 1);
  });

  it('signalfd reads pending signals of its mask as signalfd_siginfo; EAGAIN / Block when none', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(SIG.SIGUSR1);
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([sigBit(SIG.SIGUSR1)]).buffer));
    const fd = call(s, 'signalfd4', SYS.signalfd4, -1, BUF, 8, 0o4000 /* SFD_NONBLOCK */) as number;
    const f = s.task.process.fds.get(fd);
    assert.equal(f.readiness?.(), 0);
    const dst = Buffer.alloc(256);
    assert.throws(() => f.read(dst), code('EAGAIN'));
    assert.throws(() => f.read(Buffer.alloc(64)), code('EINVAL'));
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    assert.equal(f.readiness?.(), 1);
    assert.equal(f.read(dst), 128);
    assert.equal(dst.readUInt32LE(0), SIG.SIGUSR1);
    assert.equal(dst.readUInt32LE(12), 1, 'ssi_pid');
    assert.equal(s.task.process.sigPending.mask, 0n);
    f.flags &= ~0o4000;
    assert.throws(() => f.read(dst), (e: unknown) => e instanceof Block);
    assert.throws(() => call(s, 'signalfd4', SYS.signalfd4, fd + 7, BUF, 8, 0), code('EBADF'));
    // An existing signalfd gets a new mask.
    s.ctx.memory.write(BUF, Buffer.from(new BigUint64Array([sigBit(SIG.SIGUSR2)]).buffer));
    assert.equal(call(s, 'signalfd4', SYS.signalfd4, fd, BUF, 8, 0), fd);
    call(s, 'kill', SYS.kill, 1, SIG.SIGUSR1);
    assert.equal(f.readiness?.(), 0);
    assert.throws(() => call(s, 'signalfd4', SYS.signalfd4, -1, BUF, 8, 1), code('EINVAL'));
  });
});
