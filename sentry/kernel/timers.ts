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
  /** Scheduling order: timers due at the same time fire first come, first served. */
  readonly seq: number;
  /** Its place in the heap; -1 once it fired or was cancelled. */
  index: number;
}

export function monotonicNs(): bigint {
  return hostClockNs(CLOCK.MONOTONIC) ?? process.hrtime.bigint();
}

/**
 * Pending timers in a binary min-heap by deadline, each knowing its place
 * in it: scheduling and cancelling cost O(log n). A pod with thousands of
 * TCP connections keeps a timer or two for each and moves them on every
 * segment; the sorted array this replaces cost 50 us per move at 10,000
 * timers (its search and its splice were both linear).
 */
export class Timers {
  private readonly heap: Timer[] = [];
  private seq = 0;

  /** Runs `fn` once host CLOCK_MONOTONIC reaches `deadlineNs`. */
  schedule(deadlineNs: bigint, fn: () => void): TimerHandle {
    const t: Timer = { deadlineNs, fn, seq: this.seq++, index: this.heap.length };
    this.heap.push(t);
    this.up(t);
    return t;
  }

  /** Cancels a pending timer; a timer that fired or was cancelled already is left alone. */
  cancel(h: TimerHandle): void {
    const t = h as Timer;
    if (t.index >= 0 && this.heap[t.index] === t) this.removeAt(t.index);
  }

  /** The earliest pending deadline, if any. */
  next(): bigint | undefined {
    return this.heap[0]?.deadlineNs;
  }

  /** Runs every timer that is due at `now` (and any that those schedule due by then); returns how many ran. */
  fire(now = monotonicNs()): number {
    let n = 0;
    while (this.heap.length > 0 && this.heap[0].deadlineNs <= now) {
      const t = this.heap[0];
      this.removeAt(0);
      t.fn();
      n++;
    }
    return n;
  }

  private removeAt(i: number): void {
    const t = this.heap[i];
    const last = this.heap.pop() as Timer;
    t.index = -1;
    if (last === t) return;
    this.place(last, i);
    this.down(last);
    this.up(last);
  }

  private place(t: Timer, i: number): void {
    this.heap[i] = t;
    t.index = i;
  }

  private static before(a: Timer, b: Timer): boolean {
    return a.deadlineNs < b.deadlineNs || (a.deadlineNs === b.deadlineNs && a.seq < b.seq);
  }

  private up(t: Timer): void {
    let i = t.index;
    while (i > 0) {
      const parent = this.heap[(i - 1) >> 1];
      if (!Timers.before(t, parent)) break;
      this.place(parent, i);
      i = (i - 1) >> 1;
    }
    this.place(t, i);
  }

  private down(t: Timer): void {
    let i = t.index;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.heap.length) break;
      if (child + 1 < this.heap.length && Timers.before(this.heap[child + 1], this.heap[child])) child++;
      if (!Timers.before(this.heap[child], t)) break;
      this.place(this.heap[child], i);
      i = child;
    }
    this.place(t, i);
  }
}
