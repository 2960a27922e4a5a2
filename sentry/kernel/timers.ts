/**
 * Kernel timers on host CLOCK_MONOTONIC: sleeps, poll/futex timeouts,
 * alarm/setitimer, timerfd and POSIX timers all schedule callbacks here.
 * The scheduler fires due timers on each turn of its loop and sleeps no
 * longer than the earliest deadline.
 */
import { hostClockNs } from '../platform/host/clock';
import { CLOCK } from '../abi/linux/time';

export interface TimerHandle {
  readonly deadlineNs: bigint;
}

interface Timer extends TimerHandle {
  readonly fn: () => void;
}

export function monotonicNs(): bigint {
  return hostClockNs(CLOCK.MONOTONIC) ?? process.hrtime.bigint();
}

export class Timers {
  private readonly timers: Timer[] = [];

  /** Runs `fn` once host CLOCK_MONOTONIC reaches `deadlineNs`. */
  schedule(deadlineNs: bigint, fn: () => void): TimerHandle {
    const t: Timer = { deadlineNs, fn };
    const i = this.timers.findIndex((x) => x.deadlineNs > deadlineNs);
    this.timers.splice(i < 0 ? this.timers.length : i, 0, t);
    return t;
  }

  cancel(h: TimerHandle): void {
    const i = this.timers.indexOf(h as Timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The earliest pending deadline, if any. */
  next(): bigint | undefined {
    return this.timers[0]?.deadlineNs;
  }

  /** Runs every timer that is due at `now`; returns how many ran. */
  fire(now = monotonicNs()): number {
    let n = 0;
    while (this.timers.length > 0 && this.timers[0].deadlineNs <= now) {
      (this.timers.shift() as Timer).fn();
      n++;
    }
    return n;
  }
}
