/**
 * Host clocks and sleeping for the Sentry. The sandbox's clocks are derived
 * from the host's (gVisor does the same); reading them is harmless.
 */
import koffi from './koffi';

const libc = koffi.load('libc.so.6');
const clockGettime = libc.func('int clock_gettime(int clk, void *ts)');

const ts = new BigInt64Array(2);

/** Host clock_gettime(clk) in nanoseconds; undefined if the host rejects the clock. */
export function hostClockNs(clk: number): bigint | undefined {
  if ((clockGettime(clk, ts) as number) !== 0) return undefined;
  return ts[0] * 1_000_000_000n + ts[1];
}

/** The host CPU-time clock of another process (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)). */
export function processCpuClock(pid: number): number {
  return (~pid << 3) | 2;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the Sentry thread for `ns` nanoseconds. */
export function sleepNs(ns: bigint): void {
  let remaining = ns;
  while (remaining > 0n) {
    const ms = Number(remaining / 1_000_000n);
    const start = process.hrtime.bigint();
    // Atomics.wait takes milliseconds (fractional allowed) and never wakes early here.
    Atomics.wait(sleeper, 0, 0, ms > 0 ? ms : Number(remaining) / 1e6);
    remaining -= process.hrtime.bigint() - start;
  }
}
