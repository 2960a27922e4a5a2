/**
 * Time for the stack. Protocol timers (retransmission, delayed ACK,
 * TIME_WAIT, ARP and reassembly timeouts) go through this interface so tests
 * drive them with a fake clock and the Sentry with its own timers.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` once after `delayMs` (0: as soon as possible, never synchronously). */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/**
 * Node's monotonic clock and timers. A zero delay uses setImmediate (a
 * setTimeout is at least 1 ms, which would slow every loopback hop), and
 * timers are unref'd: protocol timers (TIME_WAIT, keepalive) must not keep
 * a process alive on their own.
 */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, fn) {
    if (delayMs <= 0) {
      const i = setImmediate(fn);
      i.unref();
      return { cancel: () => clearImmediate(i) };
    }
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
