// Clock ids and time structs (include/uapi/linux/time.h).
export const CLOCK = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
  REALTIME_ALARM: 8,
  BOOTTIME_ALARM: 9,
  TAI: 11,
} as const;

export const TIMER_ABSTIME = 1;
export const NSEC_PER_SEC = 1_000_000_000n;

/** struct timespec / timeval: two 64-bit fields. */
export const TIMESPEC_SIZE = 16;

export function encodeTimespec(ns: bigint): Buffer {
  const b = Buffer.alloc(TIMESPEC_SIZE);
  b.writeBigInt64LE(ns / NSEC_PER_SEC, 0);
  b.writeBigInt64LE(ns % NSEC_PER_SEC, 8);
  return b;
}

export function encodeTimeval(ns: bigint): Buffer {
  const b = Buffer.alloc(TIMESPEC_SIZE);
  b.writeBigInt64LE(ns / NSEC_PER_SEC, 0);
  b.writeBigInt64LE((ns % NSEC_PER_SEC) / 1000n, 8);
  return b;
}

/** Decodes a timespec; undefined when tv_nsec is out of range (EINVAL for callers). */
export function decodeTimespec(b: Buffer): bigint | undefined {
  const sec = b.readBigInt64LE(0);
  const nsec = b.readBigInt64LE(8);
  if (sec < 0n || nsec < 0n || nsec >= NSEC_PER_SEC) return undefined;
  return sec * NSEC_PER_SEC + nsec;
}
