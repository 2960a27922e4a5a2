/**
 * A thread's scheduling attributes (sched(7), setpriority(2),
 * ioprio_set(2)): its nice value, policy, real-time priority and I/O
 * priority. The Sentry keeps and reports them with Linux's rules (who may
 * set what, what a new thread inherits, /proc/[pid]/stat) but schedules
 * every task alike: they change nothing about when a task runs.
 */
import { IOPRIO_CLASS, IOPRIO_CLASS_SHIFT, IOPRIO_DEFAULT, SCHED } from '../abi/linux/sched';

export interface SchedAttr {
  /** -20..19. */
  nice: number;
  /** SCHED_NORMAL, _BATCH, _IDLE, _FIFO or _RR. */
  policy: number;
  /** 1..99 under a real-time policy, else 0. */
  priority: number;
  /** SCHED_RESET_ON_FORK. */
  resetOnFork: boolean;
  /** ioprio_set's value (0: none set). */
  ioprio: number;
}

export function defaultSchedAttr(): SchedAttr {
  return { nice: 0, policy: SCHED.NORMAL, priority: 0, resetOnFork: false, ioprio: 0 };
}

export function isRealtime(policy: number): boolean {
  return policy === SCHED.FIFO || policy === SCHED.RR;
}

/** The policies sched_setscheduler knows (SCHED_DEADLINE among them). */
export function validPolicy(policy: number): boolean {
  return policy === SCHED.NORMAL || policy === SCHED.BATCH || policy === SCHED.IDLE || isRealtime(policy) || policy === SCHED.DEADLINE;
}

/**
 * What a new thread or process starts with: its creator's attributes;
 * with SCHED_RESET_ON_FORK, a real-time policy goes back to SCHED_NORMAL,
 * a negative nice to 0, and the flag itself is not inherited (sched_fork).
 */
export function inheritSchedAttr(a: SchedAttr): SchedAttr {
  if (!a.resetOnFork) return { ...a };
  const reset = isRealtime(a.policy) || a.policy === SCHED.DEADLINE;
  return { nice: Math.max(a.nice, 0), policy: reset ? SCHED.NORMAL : a.policy, priority: reset ? 0 : a.priority, resetOnFork: false, ioprio: a.ioprio };
}

/** /proc/[pid]/stat's priority field: 20 + nice, or -1 - priority under a real-time policy (task_prio). */
export function statPriority(a: SchedAttr): number {
  return isRealtime(a.policy) ? -1 - a.priority : 20 + a.nice;
}

/** The I/O priority several tasks report together (ioprio_get of a group or user): the best, a task without one counting as best-effort 4. */
export function bestIoprio(a: number, b: number): number {
  const valid = (x: number): number => (x >> IOPRIO_CLASS_SHIFT === IOPRIO_CLASS.NONE ? IOPRIO_DEFAULT : x);
  return Math.min(valid(a), valid(b));
}
