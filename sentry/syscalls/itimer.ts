/**
 * Interval timers: alarm(2), setitimer(2)/getitimer(2) (ITIMER_REAL) and
 * POSIX timers (timer_create(2) and friends) on REALTIME/MONOTONIC/
 * BOOTTIME/TAI. Expirations come from the kernel timer wheel; see
 * kernel/signal/itimers.ts.
 */
import { CLOCK, NSEC_PER_SEC, TIMER_ABSTIME, TIMESPEC_SIZE, decodeTimespec, encodeTimespec, encodeTimeval } from '../abi/linux/time';
import { SIGEV, SIGEVENT } from '../abi/linux/sigframe';
import { SIG } from '../abi/linux/signal';
import { fail } from '../errors/linuxerr';
import { validSignal } from '../kernel/signals';
import { IntervalTimer, PosixTimer, SigEvent, TimerSetting, processTimers } from '../kernel/signal/itimers';
import { Task } from '../kernel/task';
import { monotonicNs } from '../kernel/timers';
import { writeOptional } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { FamilyRows, partial, supported } from './rows';
import { clockNs } from './time';

const ITIMER = { REAL: 0, VIRTUAL: 1, PROF: 2 } as const;
const USEC = 1000n;
const ITIMERVAL_SIZE = 32;
const ITIMERSPEC_SIZE = 32;

/** Arms `timer` `value` ns from now (disarms for 0). */
function setRelative(timer: IntervalTimer, s: TimerSetting): TimerSetting {
  return timer.set(s.value === 0n ? undefined : monotonicNs() + s.value, s.interval);
}

/** struct itimerval { timeval interval, value }; EINVAL for negative or >= 1e6 µs fields. */
function decodeItimerval(b: Buffer): TimerSetting {
  const tv = (off: number): bigint => {
    const sec = b.readBigInt64LE(off);
    const usec = b.readBigInt64LE(off + 8);
    if (sec < 0n || usec < 0n || usec >= 1_000_000n) fail('EINVAL', 'timeval');
    return sec * NSEC_PER_SEC + usec * USEC;
  };
  return { interval: tv(0), value: tv(16) };
}

function encodeItimerval(s: TimerSetting): Buffer {
  return Buffer.concat([encodeTimeval(s.interval), encodeTimeval(s.value)]);
}

/** The ITIMER_REAL timer; VIRTUAL/PROF (CPU-time timers) are not kept. */
function realTimer(t: Task, which: number): IntervalTimer | undefined {
  if (which === ITIMER.REAL) return processTimers(t.process).real;
  if (which === ITIMER.VIRTUAL || which === ITIMER.PROF) return undefined;
  return fail('EINVAL', `itimer ${which}`);
}

/** getitimer(2): CPU-time timers always read as disarmed. */
function getitimer(t: Task, a: SyscallArgs): number {
  const timer = realTimer(t, a.int(0));
  t.mem.write(a.ptr(1), encodeItimerval(timer?.get() ?? { value: 0n, interval: 0n }));
  return 0;
}

/**
 * setitimer(2): a NULL new value disarms (as Linux does, with a warning).
 * Arming ITIMER_VIRTUAL/ITIMER_PROF fails with ENOSYS (no CPU-time timers);
 * disarming them succeeds.
 */
function setitimer(t: Task, a: SyscallArgs): number {
  const next = a.ptr(1) === 0 ? { value: 0n, interval: 0n } : decodeItimerval(t.mem.read(a.ptr(1), ITIMERVAL_SIZE));
  const timer = realTimer(t, a.int(0));
  if (!timer) {
    if (next.value !== 0n) fail('ENOSYS', 'ITIMER_VIRTUAL/ITIMER_PROF');
    writeOptional(t.mem, a.ptr(2), encodeItimerval({ value: 0n, interval: 0n }));
    return 0;
  }
  writeOptional(t.mem, a.ptr(2), encodeItimerval(setRelative(timer, next)));
  return 0;
}

/** alarm(2): SIGALRM after `seconds` (0 cancels); returns the old timer's seconds left, rounded like Linux. */
function alarm(t: Task, a: SyscallArgs): number {
  const old = setRelative(processTimers(t.process).real, { value: BigInt(a.uint(0)) * NSEC_PER_SEC, interval: 0n });
  const sec = old.value / NSEC_PER_SEC;
  const usec = (old.value % NSEC_PER_SEC) / USEC;
  return Number((sec === 0n && usec > 0n) || usec >= 500_000n ? sec + 1n : sec);
}

const TIMER_CLOCKS: ReadonlySet<number> = new Set([CLOCK.REALTIME, CLOCK.MONOTONIC, CLOCK.BOOTTIME, CLOCK.TAI]);
const CPU_CLOCKS: ReadonlySet<number> = new Set([CLOCK.PROCESS_CPUTIME_ID, CLOCK.THREAD_CPUTIME_ID]);

/** struct sigevent → SigEvent (NULL: SIGALRM with the timer id as value). EINVAL for bad notify/signo/thread. */
function readSigevent(t: Task, addr: number, id: number): SigEvent {
  if (addr === 0) return { notify: 'signal', signo: SIG.SIGALRM, value: BigInt(id) };
  const b = t.mem.read(addr, SIGEVENT.SIZE);
  const notify = b.readInt32LE(SIGEVENT.NOTIFY);
  const signo = b.readInt32LE(SIGEVENT.SIGNO);
  const value = b.readBigUInt64LE(SIGEVENT.VALUE);
  if (notify === SIGEV.NONE) return { notify: 'none', signo: 0, value };
  if (notify !== SIGEV.SIGNAL && notify !== SIGEV.THREAD && notify !== SIGEV.THREAD_ID) fail('EINVAL', `sigev_notify ${notify}`);
  if (!validSignal(signo)) fail('EINVAL', `sigev_signo ${signo}`);
  if (notify !== SIGEV.THREAD_ID) return { notify: 'signal', signo, value };
  const thread = t.kernel.tasks.get(b.readInt32LE(SIGEVENT.TID));
  if (!thread || thread.process !== t.process) fail('EINVAL', 'sigev_notify_thread_id');
  return { notify: 'signal', signo, value, thread };
}

/** timer_create(2). CPU-time clocks are EOPNOTSUPP (ENOTSUP) (not implemented); unknown clocks EINVAL. */
function timerCreate(t: Task, a: SyscallArgs): number {
  const clock = a.int(0);
  if (CPU_CLOCKS.has(clock) || clock < 0) fail('EOPNOTSUPP', `timer on CPU clock ${clock}`);
  if (!TIMER_CLOCKS.has(clock)) fail('EINVAL', `clock ${clock}`);
  const timers = processTimers(t.process);
  const id = timers.freeId();
  const ev = readSigevent(t, a.ptr(1), id);
  const idBuf = Buffer.alloc(4);
  idBuf.writeInt32LE(id);
  t.mem.write(a.ptr(2), idBuf);
  timers.posix.set(id, new PosixTimer(id, clock, t.process, ev));
  return 0;
}

function posixTimer(t: Task, id: number): PosixTimer {
  return processTimers(t.process).posix.get(id) ?? fail('EINVAL', `timer ${id}`);
}

function encodeItimerspec(s: TimerSetting): Buffer {
  return Buffer.concat([encodeTimespec(s.interval), encodeTimespec(s.value)]);
}

/** An absolute time on `clock` as host CLOCK_MONOTONIC (exact when the clock is CLOCK_MONOTONIC itself). */
function absoluteToMonotonic(t: Task, clock: number, value: bigint): bigint {
  return clock === CLOCK.MONOTONIC ? value : monotonicNs() + value - clockNs(t, clock);
}

/** timer_settime(2): relative or TIMER_ABSTIME values on the timer's clock; value 0 disarms. */
function timerSettime(t: Task, a: SyscallArgs): number {
  const timer = posixTimer(t, a.int(0));
  const b = t.mem.read(a.ptr(2), ITIMERSPEC_SIZE);
  const interval = decodeTimespec(b.subarray(0, TIMESPEC_SIZE)) ?? fail('EINVAL', 'it_interval');
  const value = decodeTimespec(b.subarray(TIMESPEC_SIZE)) ?? fail('EINVAL', 'it_value');
  const now = monotonicNs();
  let deadline: bigint | undefined;
  if (value !== 0n) deadline = a.int(1) & TIMER_ABSTIME ? absoluteToMonotonic(t, timer.clock, value) : now + value;
  writeOptional(t.mem, a.ptr(3), encodeItimerspec(timer.timer.set(deadline, interval)));
  return 0;
}

/** timer_gettime(2): time to the next expiry and the interval. */
function timerGettime(t: Task, a: SyscallArgs): number {
  t.mem.write(a.ptr(1), encodeItimerspec(posixTimer(t, a.int(0)).timer.get()));
  return 0;
}

/** timer_getoverrun(2): extra expirations while the last delivered signal was pending. */
function timerGetoverrun(t: Task, a: SyscallArgs): number {
  return posixTimer(t, a.int(0)).lastOverrun;
}

/** timer_delete(2): disarms and forgets the timer (an already queued signal stays pending). */
function timerDelete(t: Task, a: SyscallArgs): number {
  const timer = posixTimer(t, a.int(0));
  timer.timer.disarm();
  processTimers(t.process).posix.delete(timer.id);
  return 0;
}

export const itimerSyscalls: FamilyRows = {
  alarm: supported(alarm),
  getitimer: partial(getitimer, 'ITIMER_VIRTUAL/ITIMER_PROF always read as disarmed'),
  setitimer: partial(setitimer, 'arming ITIMER_VIRTUAL/ITIMER_PROF is ENOSYS'),
  timer_create: partial(timerCreate, 'CPU-time clocks are EOPNOTSUPP (ENOTSUP)'),
  timer_settime: supported(timerSettime),
  timer_gettime: supported(timerGettime),
  timer_getoverrun: supported(timerGetoverrun),
  timer_delete: supported(timerDelete),
};
