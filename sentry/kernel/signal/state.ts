/**
 * Signal state the Task/Process classes do not carry, kept beside them in
 * WeakMaps so it disappears with them: the per-process "a signal arrived"
 * queue, the mask rt_sigsuspend restores, the interrupted-syscall marker and
 * job-control (stop/continue) state.
 */
import type { SignalMask } from '../signals';
import type { Process, Task } from '../task';
import { WaitQueue } from '../wait';

const arrivals = new WeakMap<Process, WaitQueue>();

/**
 * Notified whenever a signal is queued to the process or one of its
 * threads: rt_sigsuspend, rt_sigtimedwait, pause and signalfd wait here.
 */
export function signalArrivals(p: Process): WaitQueue {
  let q = arrivals.get(p);
  if (!q) arrivals.set(p, (q = new WaitQueue()));
  return q;
}

/** What a stop or continue left for the parent's wait4 (WUNTRACED / WCONTINUED). */
export type JobEvent = { kind: 'stopped'; signo: number } | { kind: 'continued' };

export interface JobControl {
  stopped: boolean;
  /** The latest stop/continue not yet reported to the parent. */
  event: JobEvent | undefined;
  /** Notified when SIGCONT continues the process. */
  readonly continued: WaitQueue;
}

const jobs = new WeakMap<Process, JobControl>();

export function jobControl(p: Process): JobControl {
  let j = jobs.get(p);
  if (!j) jobs.set(p, (j = { stopped: false, event: undefined, continued: new WaitQueue() }));
  return j;
}

/** Whether the process is stopped by a stop signal: the scheduler must not resume its tasks. */
export function isStopped(p: Process): boolean {
  return jobs.get(p)?.stopped ?? false;
}

/** rt_sigsuspend's original mask, restored by the handler frame (Linux's saved_sigmask). */
export const savedMasks = new WeakMap<Task, SignalMask>();

/** Runs when a queued siginfo is taken (POSIX timers count overruns until then). */
export const onDequeue = new WeakMap<Buffer, () => void>();
