/**
 * futex(2) for a sandbox whose processes have one thread each: no other
 * task can ever wake a waiter, so WAKE finds nobody, a WAIT whose value
 * still matches can only end by its timeout, and a WAIT without a timeout
 * would block forever. The process-model work adds wait queues shared by
 * threads.
 */
import { FUTEX, FUTEX_CMD_MASK, FUTEX_CLOCK_REALTIME } from '../abi/linux/futex';
import { CLOCK, TIMESPEC_SIZE, decodeTimespec } from '../abi/linux/time';
import { fail } from '../errors/linuxerr';
import { sleepNs } from '../platform/host/clock';
import { Task } from '../kernel/task';
import { SyscallArgs } from './args';
import { clockNs } from './time';
import { FamilyRows, partial } from './rows';

function checkAligned(addr: number): void {
  if (addr % 4 !== 0) fail('EINVAL', 'unaligned futex');
}

/** FUTEX_WAIT(_BITSET): EAGAIN if *uaddr != val; otherwise waits out the timeout (ETIMEDOUT). */
function wait(t: Task, a: SyscallArgs, bitset: boolean): number {
  const addr = a.ptr(0);
  checkAligned(addr);
  if (bitset && a.uint(5) === 0) fail('EINVAL', 'empty bitset');
  if (t.mem.read(addr, 4).readUInt32LE(0) !== a.uint(2)) fail('EAGAIN');
  const tsAddr = a.ptr(3);
  if (tsAddr === 0) fail('EDEADLK', 'single-threaded wait without a timeout would never be woken');
  const ts = decodeTimespec(t.mem.read(tsAddr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'timeout');
  // FUTEX_WAIT takes a relative timeout; WAIT_BITSET an absolute one on the chosen clock.
  const clock = a.int(1) & FUTEX_CLOCK_REALTIME ? CLOCK.REALTIME : CLOCK.MONOTONIC;
  sleepNs(bitset ? ts - clockNs(t, clock) : ts);
  return fail('ETIMEDOUT');
}

/** FUTEX_WAKE(_BITSET): nobody else can be waiting, so zero tasks are woken. */
function wake(t: Task, a: SyscallArgs, bitset: boolean): number {
  checkAligned(a.ptr(0));
  if (bitset && a.uint(5) === 0) fail('EINVAL', 'empty bitset');
  return 0;
}

function futex(t: Task, a: SyscallArgs): number {
  switch (a.int(1) & FUTEX_CMD_MASK) {
    case FUTEX.WAIT:
      return wait(t, a, false);
    case FUTEX.WAIT_BITSET:
      return wait(t, a, true);
    case FUTEX.WAKE:
      return wake(t, a, false);
    case FUTEX.WAKE_BITSET:
      return wake(t, a, true);
    default:
      return fail('ENOSYS', `futex op ${a.int(1)}`);
  }
}

export const futexSyscalls: FamilyRows = {
  futex: partial(futex, 'single-threaded: WAIT/WAKE(_BITSET) only; an untimed wait that could never be woken is EDEADLK'),
};
