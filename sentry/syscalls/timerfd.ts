/** timerfd_create(2), timerfd_settime(2), timerfd_gettime(2). */
import { ITIMERSPEC_SIZE, TFD, TFD_TIMER } from '../abi/linux/eventfd';
import { CLOCK, decodeTimespec, encodeTimespec } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { TimerFd, TimerSetting } from '../fsimpl/timerfd/timerfd';
import type { Task } from '../kernel/task';
import { monotonicNs } from '../kernel/timers';
import type { SyscallArgs } from './args';
import { installNew } from './eventfd';
import { FamilyRows, partial, supported } from './rows';
import { clockNs } from './time';

/** timerfd_create(2): REALTIME, MONOTONIC, BOOTTIME; the *_ALARM clocks need CAP_WAKE_ALARM (EPERM). */
function timerfdCreate(t: Task, a: SyscallArgs): number {
  const clk = a.int(0);
  const flags = a.int(1);
  if (flags & ~(TFD.NONBLOCK | TFD.CLOEXEC)) fail('EINVAL', `timerfd flags ${flags}`);
  if (clk === CLOCK.REALTIME_ALARM || clk === CLOCK.BOOTTIME_ALARM) fail('EPERM', 'alarm clocks need CAP_WAKE_ALARM');
  if (clk !== CLOCK.REALTIME && clk !== CLOCK.MONOTONIC && clk !== CLOCK.BOOTTIME) fail('EINVAL', `clock ${clk}`);
  const f = new TimerFd(clk, t.kernel.timers, flags & TFD.NONBLOCK);
  return installNew(t, f, (flags & TFD.CLOEXEC) !== 0);
}

function timerfdOf(t: Task, fd: number): TimerFd {
  const f = t.process.fds.get(fd);
  return f instanceof TimerFd ? f : fail('EINVAL', `fd ${fd} is not a timerfd`);
}

function encodeSetting(s: TimerSetting): Buffer {
  return Buffer.concat([encodeTimespec(s.interval), encodeTimespec(s.value)]);
}

/**
 * timerfd_settime(2): relative or TFD_TIMER_ABSTIME values on the timer's
 * clock, with an interval; a zero value disarms. TFD_TIMER_CANCEL_ON_SET is
 * accepted but never cancels (the sandbox's realtime clock is never set).
 */
function timerfdSettime(t: Task, a: SyscallArgs): number {
  const flags = a.int(1);
  if (flags & ~(TFD_TIMER.ABSTIME | TFD_TIMER.CANCEL_ON_SET)) fail('EINVAL', `timerfd_settime flags ${flags}`);
  const f = timerfdOf(t, a.int(0));
  const raw = t.mem.read(a.ptr(2), ITIMERSPEC_SIZE);
  const interval = decodeTimespec(raw.subarray(0, 16)) ?? fail('EINVAL', 'it_interval');
  const value = decodeTimespec(raw.subarray(16, 32)) ?? fail('EINVAL', 'it_value');
  const mono = monotonicNs();
  let at: bigint | undefined;
  if (value !== 0n) at = flags & TFD_TIMER.ABSTIME ? mono + (value - clockNs(t, f.clock)) : mono + value;
  const old = encodeSetting(f.set(at, interval));
  if (a.ptr(3) !== 0) t.mem.write(a.ptr(3), old);
  return 0;
}

/** timerfd_gettime(2): time to the next expiration and the interval. */
function timerfdGettime(t: Task, a: SyscallArgs): number {
  const f = timerfdOf(t, a.int(0));
  t.mem.write(a.ptr(1), encodeSetting(f.get()));
  return 0;
}

export const timerfdRows: FamilyRows = {
  timerfd_create: partial(timerfdCreate, 'REALTIME/MONOTONIC/BOOTTIME; *_ALARM clocks EPERM'),
  timerfd_settime: partial(timerfdSettime, 'TFD_TIMER_CANCEL_ON_SET never fires ECANCELED (the clock is never set)'),
  timerfd_gettime: supported(timerfdGettime),
};
