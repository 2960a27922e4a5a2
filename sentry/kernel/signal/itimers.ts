/**
 * Per-process interval timers on the kernel timer wheel: ITIMER_REAL
 * (alarm/setitimer → SIGALRM) and POSIX timers (timer_create). Deadlines are
 * host CLOCK_MONOTONIC; periodic timers re-arm from their previous
 * deadline, and periods a late scheduler loop missed count as overruns.
 */
import { SI, SIGINFO } from '../../abi/linux/sigframe';
import { SIG } from '../../abi/linux/signal';
import type { Kernel } from '../kernel';
import type { Process, Task } from '../task';
import { TimerHandle, monotonicNs } from '../timers';
import { queueSignal } from './send';
import { kernelInfo } from './siginfo';
import { onDequeue } from './state';

/** value: ns until the next expiry (0: disarmed); interval: period in ns (0: one-shot). */
export interface TimerSetting {
  value: bigint;
  interval: bigint;
}

/**
 * A one-shot or periodic timer that calls `expire` on each expiry, with
 * the number of whole periods that had already passed as well (a periodic
 * timer whose loop was late skips them in one step, like hrtimer_forward).
 */
export class IntervalTimer {
  private handle: TimerHandle | undefined;
  private interval = 0n;

  constructor(
    private readonly kernel: Kernel,
    private readonly expire: (missed: number) => void,
  ) {}

  /** Arms at absolute monotonic `deadlineNs` (disarms when undefined); returns the previous setting. */
  set(deadlineNs: bigint | undefined, interval: bigint): TimerSetting {
    const old = this.get();
    this.disarm();
    this.interval = interval;
    if (deadlineNs !== undefined) this.arm(deadlineNs);
    return old;
  }

  get(): TimerSetting {
    if (!this.handle) return { value: 0n, interval: this.interval };
    const left = this.handle.deadlineNs - monotonicNs();
    // An armed timer never reads as 0 (that would mean disarmed): Linux reports at least 1 ns.
    return { value: left > 0n ? left : 1n, interval: this.interval };
  }

  disarm(): void {
    if (this.handle) this.kernel.timers.cancel(this.handle);
    this.handle = undefined;
  }

  private arm(deadlineNs: bigint): void {
    this.handle = this.kernel.timers.schedule(deadlineNs, () => {
      this.handle = undefined;
      let missed = 0n;
      if (this.interval > 0n) {
        const late = monotonicNs() - deadlineNs;
        missed = late > this.interval ? late / this.interval : 0n;
        this.arm(deadlineNs + (missed + 1n) * this.interval);
      }
      this.expire(Number(missed));
    });
  }
}

export interface SigEvent {
  notify: 'signal' | 'none';
  signo: number;
  /** sigev_value, passed in si_value. */
  value: bigint;
  /** SIGEV_THREAD_ID: the thread that gets the signal; else the process. */
  thread?: Task;
}

/** A POSIX timer: its expirations queue one siginfo at a time, counting overruns meanwhile. */
export class PosixTimer {
  readonly timer: IntervalTimer;
  private queued: Buffer | undefined;
  private overrun = 0;
  /** timer_getoverrun(2): the overrun count of the last delivered expiration. */
  lastOverrun = 0;

  constructor(
    readonly id: number,
    /** The clock timer_settime's TIMER_ABSTIME values are read against. */
    readonly clock: number,
    private readonly process: Process,
    private readonly ev: SigEvent,
  ) {
    this.timer = new IntervalTimer(process.kernel, (missed) => this.expire(missed));
  }

  private expire(missed: number): void {
    if (this.ev.notify === 'none') return;
    if (this.queued) {
      this.overrun = Math.min(this.overrun + 1 + missed, DELAYTIMER_MAX);
      return;
    }
    this.overrun = Math.min(missed, DELAYTIMER_MAX);
    const info = kernelInfo(this.ev.signo, SI.TIMER);
    info.writeInt32LE(this.id, SIGINFO.TIMERID);
    info.writeBigUInt64LE(this.ev.value, SIGINFO.VALUE);
    const target = this.ev.thread && this.ev.thread.process === this.process ? this.ev.thread : this.process;
    if (!queueSignal(target, this.ev.signo, info)) return;
    this.queued = info;
    onDequeue.set(info, () => {
      info.writeInt32LE(this.overrun, SIGINFO.OVERRUN);
      this.lastOverrun = this.overrun;
      this.overrun = 0;
      this.queued = undefined;
    });
  }
}

/** The largest overrun count reported (INT_MAX). */
const DELAYTIMER_MAX = 0x7fffffff;

export class ProcessTimers {
  /** ITIMER_REAL: SIGALRM to the process (SI_KERNEL, like Linux's it_real_fn). */
  readonly real: IntervalTimer;
  readonly posix = new Map<number, PosixTimer>();

  constructor(p: Process) {
    this.real = new IntervalTimer(p.kernel, () => queueSignal(p, SIG.SIGALRM));
  }

  /** The lowest unused timer id. */
  freeId(): number {
    let id = 0;
    while (this.posix.has(id)) id++;
    return id;
  }

  /** execve(2): POSIX timers are deleted; ITIMER_REAL survives. */
  exec(): void {
    for (const t of this.posix.values()) t.timer.disarm();
    this.posix.clear();
  }

  /** Process exit: nothing may fire any more. */
  release(): void {
    this.exec();
    this.real.disarm();
  }
}

const timers = new WeakMap<Process, ProcessTimers>();

/** The process's timers (a forked child starts with none, as on Linux). */
export function processTimers(p: Process): ProcessTimers {
  let t = timers.get(p);
  if (!t) timers.set(p, (t = new ProcessTimers(p)));
  return t;
}

/** Hook for execve: drops POSIX timers. */
export function timersOnExec(p: Process): void {
  timers.get(p)?.exec();
}

/** Hook for process exit: disarms every timer. */
export function timersOnExit(p: Process): void {
  timers.get(p)?.release();
}
