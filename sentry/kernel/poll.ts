/**
 * The waiting shared by poll, select and epoll_wait: scan the files, and
 * if nothing is ready block on the union of their wait queues until one is
 * notified, the timeout passes or a signal interrupts (EINTR: Linux never
 * restarts these after a handler). The timeout is a kernel timer that
 * notifies a private queue, so the handler runs once more when it expires
 * and can write its timeout results (zeroed revents, cleared fd_sets).
 */
import { DEFAULT_POLLMASK } from '../abi/linux/poll';
import type { FileDescription } from '../vfs/file';
import type { SignalMask } from './signals';
import { UNBLOCKABLE } from './signal/send';
import { savedMasks } from './signal/state';
import type { Task } from './task';
import { monotonicNs, TimerHandle } from './timers';
import { Block, WaitQueue } from './wait';

/** poll bits that hold now for `f`; files without the hook never block. */
export function readinessOf(f: FileDescription): number {
  return f.readiness ? f.readiness() : DEFAULT_POLLMASK;
}

interface TimeoutWait {
  readonly deadline: bigint;
  readonly queue: WaitQueue;
  readonly handle: TimerHandle;
  expired: boolean;
}

/** The timeout timer of each task's current wait, recognised across re-runs by its deadline. */
const timeouts = new WeakMap<Task, TimeoutWait>();

function timeoutWait(t: Task, deadline: bigint): TimeoutWait {
  const old = timeouts.get(t);
  if (old?.deadline === deadline) return old;
  if (old) t.kernel.timers.cancel(old.handle);
  const queue = new WaitQueue();
  const w: TimeoutWait = {
    deadline,
    queue,
    expired: false,
    handle: t.kernel.timers.schedule(deadline, () => {
      w.expired = true;
      queue.notify();
    }),
  };
  timeouts.set(t, w);
  return w;
}

function endTimeout(t: Task): void {
  const w = timeouts.get(t);
  if (w) t.kernel.timers.cancel(w.handle);
  timeouts.delete(t);
}

/**
 * Returns `scan()`'s result once it is defined, or undefined when
 * `timeoutNs` passes first (undefined: no timeout; 0: never waits).
 * `scan` must have no side effects when it returns undefined.
 */
export function waitFor<R>(t: Task, queues: readonly WaitQueue[], timeoutNs: bigint | undefined, scan: () => R | undefined): R | undefined {
  const r = scan();
  if (r !== undefined || timeoutNs === 0n) {
    endTimeout(t);
    return r;
  }
  if (timeoutNs === undefined) throw new Block(queues, undefined, 0, 'eintr');
  const w = timeoutWait(t, t.deadline(timeoutNs));
  if (w.expired || monotonicNs() >= w.deadline) {
    endTimeout(t);
    return undefined;
  }
  throw new Block([...queues, w.queue], undefined, 0, 'eintr');
}

/** Time left of the current wait's timeout (0 once passed), for select's and ppoll's timeout rewrite. */
export function remainingNs(t: Task, timeoutNs: bigint): bigint {
  if (timeoutNs === 0n) return 0n;
  const left = t.deadline(timeoutNs) - monotonicNs();
  return left > 0n ? left : 0n;
}

/**
 * Runs `fn` with the signal mask `mask` (undefined: unchanged), like
 * ppoll/pselect6/epoll_pwait. The old mask is restored when `fn` completes;
 * while it blocks the temporary mask stays, and if a signal interrupts the
 * wait, signal delivery restores the old one from `savedMasks` after the
 * handler (Linux's saved_sigmask).
 */
export function withSigmask<R>(t: Task, mask: SignalMask | undefined, fn: () => R): R {
  if (mask === undefined) return fn();
  if (!savedMasks.has(t)) savedMasks.set(t, t.sigmask);
  t.sigmask = mask & ~UNBLOCKABLE;
  try {
    const r = fn();
    restoreSigmask(t);
    return r;
  } catch (e) {
    if (!(e instanceof Block)) restoreSigmask(t);
    throw e;
  }
}

function restoreSigmask(t: Task): void {
  t.sigmask = savedMasks.get(t) ?? t.sigmask;
  savedMasks.delete(t);
}
