/**
 * Host fds the sandbox waits on (its stdio). A task that would block on
 * one parks on the file's wait queue; when every task is parked the
 * scheduler polls the host fds that have waiters (instead of sleeping) and
 * notifies those that became ready. While other tasks run app code,
 * readiness is noticed at the scheduler's next turn.
 */
import { WaitQueue } from './wait';

export interface HostWaiter {
  readonly fd: number;
  /** POLLIN or POLLOUT. */
  readonly events: number;
  readonly queue: WaitQueue;
}

export const hostWaiters = new Set<HostWaiter>();
