/**
 * Time syscalls. Clocks come from the host's (through the vDSO's
 * Timekeeper for the ones it serves); CPU-time clocks report the app's host
 * thread CPU time. Sleeps park the task on a kernel timer.
 */
import { CLOCK, TIMER_ABSTIME, TIMESPEC_SIZE, encodeTimespec, encodeTimeval, decodeTimespec } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { hostClockNs } from '../platform/host/clock';
import { Block } from '../kernel/wait';
import { monotonicNs } from '../kernel/timers';
import { Task } from '../kernel/task';
import { writeOptional } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { FamilyRows, supported, partial } from './rows';

/** Current value of `clk` in ns, or EINVAL for clocks the sandbox does not have. */
export function clockNs(t: Task, clk: number): bigint {
  switch (clk) {
    case CLOCK.PROCESS_CPUTIME_ID:
    case CLOCK.THREAD_CPUTIME_ID: // the host shows the Sentry only process clocks
      return t.process.cpuTimeNs();
    case CLOCK.REALTIME:
    case CLOCK.MONOTONIC:
    case CLOCK.REALTIME_COARSE:
    case CLOCK.MONOTONIC_COARSE:
    case CLOCK.BOOTTIME:
      // The vDSO's clock when there is one, so a trapped call never disagrees with it.
      return t.kernel.vdso?.clock.now(clk) ?? hostClockNs(clk) ?? fail('EINVAL');
    case CLOCK.MONOTONIC_RAW:
    case CLOCK.TAI:
      return hostClockNs(clk) ?? fail('EINVAL');
    default:
      return fail('EINVAL', `clock ${clk}`);
  }
}

/** clock_gettime(2). Per-process CPU clocks of other pids (negative ids) are EINVAL. */
function clockGettime(t: Task, a: SyscallArgs): number {
  t.mem.write(a.ptr(1), encodeTimespec(clockNs(t, a.int(0))));
  return 0;
}

/** clock_getres(2): 1 ns for the fine clocks, 4 ms (one jiffy at HZ=250) for the coarse ones. */
function clockGetres(t: Task, a: SyscallArgs): number {
  const clk = a.int(0);
  clockNs(t, clk);
  const coarse = clk === CLOCK.REALTIME_COARSE || clk === CLOCK.MONOTONIC_COARSE;
  writeOptional(t.mem, a.ptr(1), encodeTimespec(coarse ? 4_000_000n : 1n));
  return 0;
}

/** gettimeofday(2); the obsolete timezone argument is filled with zeros (UTC). */
function gettimeofday(t: Task, a: SyscallArgs): number {
  writeOptional(t.mem, a.ptr(0), encodeTimeval(clockNs(t, CLOCK.REALTIME)));
  writeOptional(t.mem, a.ptr(1), Buffer.alloc(8));
  return 0;
}

/** time(2). */
function time(t: Task, a: SyscallArgs): bigint {
  const sec = clockNs(t, CLOCK.REALTIME) / 1_000_000_000n;
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(sec);
  writeOptional(t.mem, a.ptr(0), b);
  return sec;
}

/** The host CLOCK_MONOTONIC deadline (as Block takes) of absolute time `ns` on `clock`. */
export function absoluteDeadline(t: Task, ns: bigint, clock: number): bigint {
  return monotonicNs() + (ns - clockNs(t, clock));
}

function readTimespec(t: Task, addr: number): bigint {
  return decodeTimespec(t.mem.read(addr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'timespec');
}

/**
 * Parks the task until `deadline` (host monotonic ns); a signal ends the
 * sleep early with EINTR. The remaining time is not written to `rem`.
 */
function sleepUntil(deadline: bigint): never {
  throw new Block([], deadline, 0, 'eintr');
}

/** nanosleep(2). */
function nanosleep(t: Task, a: SyscallArgs): number {
  return sleepUntil(t.deadline(readTimespec(t, a.ptr(0))));
}

/** clock_nanosleep(2), relative or TIMER_ABSTIME, on the clocks clock_gettime knows. */
function clockNanosleep(t: Task, a: SyscallArgs): number {
  const clk = a.int(0);
  if (clk === CLOCK.THREAD_CPUTIME_ID) fail('EINVAL');
  const req = readTimespec(t, a.ptr(2));
  if (!(a.int(1) & TIMER_ABSTIME)) return sleepUntil(t.deadline(req));
  const wait = req - clockNs(t, clk);
  if (wait <= 0n) return 0;
  return sleepUntil(t.deadline(wait));
}

export const timeSyscalls: FamilyRows = {
  clock_gettime: partial(clockGettime, "CLOCK_THREAD_CPUTIME_ID counts the whole process's CPU time"),
  clock_getres: supported(clockGetres),
  gettimeofday: supported(gettimeofday),
  time: supported(time),
  nanosleep: partial(nanosleep, 'the remaining time is not written back when a signal interrupts'),
  clock_nanosleep: partial(clockNanosleep, 'the remaining time is not written back when a signal interrupts'),
};
