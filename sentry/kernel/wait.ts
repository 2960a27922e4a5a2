/**
 * Blocking, the Sentry's way. The kernel loop never blocks inside a
 * syscall handler: a handler that cannot finish now throws `Block`, the
 * task is parked, and when one of its wait queues is notified, its
 * deadline passes or a signal arrives, the scheduler runs the *same*
 * syscall again from the start. Handlers must therefore have no side
 * effects before they block (check, then act), exactly like a retry loop.
 */
import { Errno } from '../abi/linux/errno';

export type Waker = () => void;

/** Something tasks wait on: a pipe's buffer, a child's exit, a futex word. */
export class WaitQueue {
  private readonly waiters = new Set<Waker>();

  add(w: Waker): void {
    this.waiters.add(w);
  }

  remove(w: Waker): void {
    this.waiters.delete(w);
  }

  /** Wakes every waiter; each re-runs its syscall and re-checks its condition. */
  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  get size(): number {
    return this.waiters.size;
  }
}

/** What a blocked syscall returns if its deadline passes first. */
export type TimeoutResult = number | { errno: number };

export const ETIMEDOUT: TimeoutResult = { errno: Errno.ETIMEDOUT };

/**
 * Thrown by a handler that must wait. `deadlineNs` is absolute host
 * CLOCK_MONOTONIC time; get it from `Task.deadline(relativeNs)` so that a
 * re-run of the same syscall keeps the deadline of its first run.
 */
export class Block {
  constructor(
    readonly queues: readonly WaitQueue[],
    readonly deadlineNs?: bigint,
    readonly onTimeout: TimeoutResult = 0,
    /**
     * How a signal interrupts it: 'eintr' always fails with EINTR;
     * 'restart' re-runs the syscall after a handler with SA_RESTART
     * (Linux's ERESTARTSYS); 'never' is not interruptible by handled
     * signals (fatal ones still end the task).
     */
    readonly interrupt: 'eintr' | 'restart' | 'never' = 'restart',
    /** Undoes the handler's registration (e.g. on a futex list) when the wait ends by timeout or signal. */
    readonly cancel?: () => void,
  ) {}
}
