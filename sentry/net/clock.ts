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

/** Node's monotonic clock and timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  },
};
