import assert from 'node:assert/strict';
import { SIGINFO } from '../abi/linux/sigframe';
import { SIG } from '../abi/linux/signal';
import { SYS } from '../abi/linux/syscalls';
import { LinuxError } from '../errors/linuxerr';
import { dequeueSignal } from '../kernel/signal/deliver';
import { sigBit } from '../kernel/signal/send';
import { handler, sandbox, thread } from '../kernel/signal/testing';
import { monotonicNs } from '../kernel/timers';
import { argsOf } from '../testing/fakes';
import { itimerSyscalls } from './itimer';

const BUF = 0x7000_0000;
const SEC = 1_000_000_000n;
const call = (s: ReturnType<typeof sandbox>, name: keyof typeof itimerSyscalls, nr: number, ...args: (number | bigint)[]) =>
  itimerSyscalls[name]!.handler(s.task, argsOf(s.ctx, nr, ...args));
const code = (c: string) => (e: LinuxError) => e.code === c;
const words = (...v: bigint[]) => Buffer.from(new BigInt64Array(v).buffer);

describe('itimer syscalls', () => {
  it('alarm: SIGALRM when kernel.timers fires; the default action ends the process', () => {
    const s = sandbox();
    assert.equal(call(s, 'alarm', SYS.alarm, 1), 0);
    assert.equal(s.kernel.timers.fire(monotonicNs() + SEC / 2n), 0);
    assert.equal(s.task.process.exitStatus, undefined);
    assert.equal(s.kernel.timers.fire(monotonicNs() + 2n * SEC), 1);
    assert.equal(s.task.process.exitStatus, SIG.SIGALRM);
  });

  it('alarm returns the seconds left (rounded) and 0 cancels', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGALRM, handler());
    call(s, 'alarm', SYS.alarm, 10);
    assert.equal(call(s, 'alarm', SYS.alarm, 0), 10);
    assert.equal(s.kernel.timers.next(), undefined);
    assert.equal(call(s, 'alarm', SYS.alarm, 0), 0);
  });

  it('setitimer(ITIMER_REAL) is periodic; getitimer reports the interval and time left', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGALRM, handler());
    s.task.sigmask = sigBit(SIG.SIGALRM);
    s.ctx.memory.write(BUF, words(0n, 250_000n, 1n, 0n)); // every 0.25 s, first after 1 s
    assert.equal(call(s, 'setitimer', SYS.setitimer, 0, BUF, 0), 0);
    assert.equal(call(s, 'getitimer', SYS.getitimer, 0, BUF + 0x40), 0);
    const cur = s.ctx.memory.read(BUF + 0x40, 32);
    assert.deepEqual([cur.readBigInt64LE(0), cur.readBigInt64LE(8), cur.readBigInt64LE(16)], [0n, 250_000n, 0n]);
    assert.ok(cur.readBigInt64LE(24) > 900_000n);
    const now = monotonicNs();
    s.kernel.timers.fire(now + SEC + 10_000_000n);
    assert.equal(s.task.process.sigPending.mask, sigBit(SIG.SIGALRM));
    assert.ok(s.kernel.timers.next() !== undefined, 're-armed');
    s.ctx.memory.write(BUF, words(0n, 0n, 0n, 0n));
    call(s, 'setitimer', SYS.setitimer, 0, BUF, BUF + 0x80);
    assert.equal(s.ctx.memory.read(BUF + 0x80, 16).readBigInt64LE(8), 250_000n, 'old interval');
    assert.equal(s.kernel.timers.next(), undefined);
  });

  it('setitimer: bad timeval is EINVAL; arming CPU-time timers is ENOSYS, disarming them works', () => {
    const s = sandbox();
    s.ctx.memory.write(BUF, words(0n, 1_000_000n, 0n, 0n));
    assert.throws(() => call(s, 'setitimer', SYS.setitimer, 0, BUF, 0), code('EINVAL'));
    s.ctx.memory.write(BUF, words(0n, 0n, 1n, 0n));
    assert.throws(() => call(s, 'setitimer', SYS.setitimer, 1, BUF, 0), code('ENOSYS'));
    assert.equal(call(s, 'setitimer', SYS.setitimer, 2, 0, 0), 0);
    assert.throws(() => call(s, 'getitimer', SYS.getitimer, 5, BUF), code('EINVAL'));
  });

  it('timer_create(SIGEV_SIGNAL): si_value, SI_TIMER, overruns while the signal is pending', () => {
    const s = sandbox();
    s.task.sigmask = sigBit(40);
    const ev = Buffer.alloc(64);
    ev.writeBigUInt64LE(0xabcn, 0);
    ev.writeInt32LE(40, 8);
    ev.writeInt32LE(0, 12); // SIGEV_SIGNAL
    s.ctx.memory.write(BUF, ev);
    assert.equal(call(s, 'timer_create', SYS.timer_create, 1, BUF, BUF + 0x100), 0);
    const id = s.ctx.memory.read(BUF + 0x100, 4).readInt32LE(0);
    assert.equal(id, 0);
    s.ctx.memory.write(BUF + 0x200, words(0n, 100_000_000n, 0n, 100_000_000n)); // every 100 ms
    assert.equal(call(s, 'timer_settime', SYS.timer_settime, id, 0, BUF + 0x200, 0), 0);
    const t0 = monotonicNs();
    // Three expirations before the signal is taken: one queued, two overruns.
    s.kernel.timers.fire(t0 + 350_000_000n);
    const sig = dequeueSignal(s.task, 0n);
    assert.equal(sig?.signo, 40);
    assert.equal(sig?.info.readInt32LE(SIGINFO.CODE), -2);
    assert.equal(sig?.info.readInt32LE(SIGINFO.TIMERID), id);
    assert.equal(sig?.info.readBigUInt64LE(SIGINFO.VALUE), 0xabcn);
    assert.equal(sig?.info.readInt32LE(SIGINFO.OVERRUN), 2);
    assert.equal(call(s, 'timer_getoverrun', SYS.timer_getoverrun, id), 2);
    assert.equal(call(s, 'timer_gettime', SYS.timer_gettime, id, BUF + 0x300), 0);
    assert.equal(s.ctx.memory.read(BUF + 0x300, 16).readBigInt64LE(8), 100_000_000n);
    assert.equal(call(s, 'timer_delete', SYS.timer_delete, id), 0);
    assert.equal(s.kernel.timers.next(), undefined);
    assert.throws(() => call(s, 'timer_delete', SYS.timer_delete, id), code('EINVAL'));
  });

  it('timer_create: NULL sigevent is SIGALRM with the id; SIGEV_NONE never signals; SIGEV_THREAD_ID targets the thread', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGALRM, handler());
    s.task.process.sigactions.set(SIG.SIGUSR1, handler());
    const t2 = thread(s.kernel, s.task.process, s.ctx);
    const ev = Buffer.alloc(64);
    ev.writeInt32LE(1, 12); // SIGEV_NONE
    s.ctx.memory.write(BUF, ev);
    call(s, 'timer_create', SYS.timer_create, 0, 0, BUF + 0x100);
    call(s, 'timer_create', SYS.timer_create, 1, BUF, BUF + 0x104);
    ev.writeInt32LE(SIG.SIGUSR1, 8);
    ev.writeInt32LE(4, 12); // SIGEV_THREAD_ID
    ev.writeInt32LE(t2.tid, 16);
    s.ctx.memory.write(BUF, ev);
    call(s, 'timer_create', SYS.timer_create, 1, BUF, BUF + 0x108);
    const ids = [0, 4, 8].map((o) => s.ctx.memory.read(BUF + 0x100 + o, 4).readInt32LE(0));
    assert.deepEqual(ids, [0, 1, 2]);
    s.ctx.memory.write(BUF + 0x200, words(0n, 0n, 0n, 1_000_000n));
    for (const id of ids) call(s, 'timer_settime', SYS.timer_settime, id, 0, BUF + 0x200, 0);
    s.kernel.timers.fire(monotonicNs() + SEC);
    const alrm = s.task.process.sigPending.dequeue(0n);
    assert.equal(alrm?.signo, SIG.SIGALRM);
    assert.equal(alrm?.info.readBigUInt64LE(SIGINFO.VALUE), 0n, 'sigev_value = timer id 0');
    assert.equal(s.task.process.sigPending.mask, 0n, 'SIGEV_NONE queued nothing');
    assert.equal(t2.sigPending.mask, sigBit(SIG.SIGUSR1));
    ev.writeInt32LE(99999, 16);
    s.ctx.memory.write(BUF, ev);
    assert.throws(() => call(s, 'timer_create', SYS.timer_create, 1, BUF, BUF + 0x108), code('EINVAL'));
    assert.throws(() => call(s, 'timer_create', SYS.timer_create, 2, 0, BUF + 0x108), code('EOPNOTSUPP'));
    assert.throws(() => call(s, 'timer_create', SYS.timer_create, 99, 0, BUF + 0x108), code('EINVAL'));
  });

  it('timer_settime(TIMER_ABSTIME) on CLOCK_MONOTONIC fires at that time; a past time fires at once', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGALRM, handler());
    call(s, 'timer_create', SYS.timer_create, 1, 0, BUF + 0x100);
    const at = monotonicNs() + 5n * SEC;
    s.ctx.memory.write(BUF + 0x200, words(0n, 0n, at / SEC, at % SEC));
    call(s, 'timer_settime', SYS.timer_settime, 0, 1, BUF + 0x200, 0);
    const next = s.kernel.timers.next() ?? 0n;
    assert.ok(next >= at - 1_000_000n && next <= at + 1_000_000n, `${next} vs ${at}`);
    s.ctx.memory.write(BUF + 0x200, words(0n, 0n, 0n, 1n));
    call(s, 'timer_settime', SYS.timer_settime, 0, 1, BUF + 0x200, BUF + 0x300);
    assert.ok(s.ctx.memory.read(BUF + 0x300, 32).readBigInt64LE(16) >= 4n, 'old value: ~5 s left');
    assert.equal(s.kernel.timers.fire(), 1);
    assert.equal(s.task.process.sigPending.mask, sigBit(SIG.SIGALRM));
  });

  it('a periodic timer far behind skips the missed periods in one step and counts them as overruns', () => {
    const s = sandbox();
    s.task.process.sigactions.set(SIG.SIGALRM, handler());
    call(s, 'timer_create', SYS.timer_create, 1, 0, BUF + 0x100);
    // First expiry at CLOCK_MONOTONIC 1 ns (long past), then every millisecond.
    s.ctx.memory.write(BUF + 0x200, words(0n, 1_000_000n, 0n, 1n));
    call(s, 'timer_settime', SYS.timer_settime, 0, 1, BUF + 0x200, 0);
    const now = monotonicNs();
    assert.equal(s.kernel.timers.fire(now), 1);
    assert.ok((s.kernel.timers.next() ?? 0n) > now);
    const sig = dequeueSignal(s.task, 0n);
    assert.ok(sig);
    const expected = Number((now - 1n) / 1_000_000n);
    assert.ok(Math.abs(sig.info.readInt32LE(SIGINFO.OVERRUN) - expected) <= 2, `${sig.info.readInt32LE(SIGINFO.OVERRUN)} vs ${expected}`);
  });
});
