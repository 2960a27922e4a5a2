import type { Clock, Timer } from '../clock';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic clock: time moves only in `advance`/`runUntil`, and timers
 * fire in deadline order (ties in scheduling order). A binary heap keeps
 * the many short-lived protocol timers cheap.
 */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly heap: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const p: Pending = { at: this.t + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.push(p);
    return { cancel: () => (p.cancelled = true) };
  }

  /** Runs every timer due within `ms` from now, then sets the time to now + ms. */
  advance(ms: number): void {
    const end = this.t + ms;
    this.runUntil(() => false, end);
    this.t = end;
  }

  /**
   * Fires timers in order until `done()` holds (checked after each) or the
   * next timer is past `limit` ms; returns whether `done()` held.
   */
  runUntil(done: () => boolean, limit = Infinity): boolean {
    if (done()) return true;
    for (;;) {
      const p = this.pop(limit);
      if (!p) return false;
      this.t = Math.max(this.t, p.at);
      p.fn();
      if (done()) return true;
    }
  }

  /** Timers still scheduled (cancelled ones excluded). */
  get pendingTimers(): number {
    return this.heap.filter((p) => !p.cancelled).length;
  }

  private pop(limit: number): Pending | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top.cancelled) {
        this.removeTop();
        continue;
      }
      if (top.at > limit) return undefined;
      this.removeTop();
      return top;
    }
    return undefined;
  }

  private before(a: Pending, b: Pending): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private removeTop(): void {
    const h = this.heap;
    const last = h.pop() as Pending;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
