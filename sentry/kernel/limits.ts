/** Resource limits (getrlimit(2)); RLIM_INFINITY is 2^64-1. */
export const RLIM_INFINITY = (1n << 64n) - 1n;

export const RLIMIT = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7,
  MEMLOCK: 8, AS: 9, LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
} as const;
export const RLIM_NLIMITS = 16;

/**
 * threads-max of the sandbox: the most tasks it holds at once. Every task
 * is a host process or thread (its stub), so without this a fork bomb
 * would stop only at the host's pid_max (32768 on many hosts), starving
 * everything else on the node; with it, fork and clone fail with EAGAIN in
 * the sandbox alone. 4096 leaves room for large thread pools; a pod may
 * also have a pids cgroup limit of its node's.
 */
export const DEFAULT_MAX_TASKS = 4096;

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

/** /proc/[pid]/limits's rows (proc_pid_limits), by RLIMIT_* number: name and unit. */
const LIMIT_ROWS: readonly [string, string][] = [
  ['Max cpu time', 'seconds'], ['Max file size', 'bytes'], ['Max data size', 'bytes'], ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'], ['Max resident set', 'bytes'], ['Max processes', 'processes'], ['Max open files', 'files'],
  ['Max locked memory', 'bytes'], ['Max address space', 'bytes'], ['Max file locks', 'locks'], ['Max pending signals', 'signals'],
  ['Max msgqueue size', 'bytes'], ['Max nice priority', ''], ['Max realtime priority', ''], ['Max realtime timeout', 'us'],
];

/** /proc/[pid]/limits: soft and hard limit of each resource, in Linux's columns (%-25s %-20s %-20s %-10s). */
export function formatLimits(limits: readonly Rlimit[]): string {
  const value = (v: bigint): string => (v === RLIM_INFINITY ? 'unlimited' : String(v));
  let out = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    const [name, unit] = LIMIT_ROWS[r];
    out += `${name.padEnd(25)} ${value(limits[r].cur).padEnd(20)} ${value(limits[r].max).padEnd(20)} ${unit && unit.padEnd(10)}\n`;
  }
  return out;
}

/**
 * The limits /proc/[pid]/limits shows (a host process's: `tsvisor do`
 * gives the command its caller's limits, as a command run directly gets
 * them); a resource it lacks keeps Linux's default.
 */
export function parseProcLimits(text: string): Rlimit[] {
  const limits = defaultLimits();
  const value = (v: string): bigint => (v === 'unlimited' ? RLIM_INFINITY : BigInt(v));
  for (const line of text.split('\n')) {
    const i = LIMIT_ROWS.findIndex(([n]) => line.startsWith(`${n} `));
    const m = /^\S+(?: \S+)*\s{2,}(unlimited|\d+)\s+(unlimited|\d+)/.exec(line);
    if (i >= 0 && m) limits[i] = { cur: value(m[1]), max: value(m[2]) };
  }
  return limits;
}

/** Linux's defaults for a container's first process. */
export function defaultLimits(): Rlimit[] {
  const inf = { cur: RLIM_INFINITY, max: RLIM_INFINITY };
  const l: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ ...inf }));
  l[RLIMIT.STACK] = { cur: 8n << 20n, max: RLIM_INFINITY };
  l[RLIMIT.CORE] = { cur: 0n, max: RLIM_INFINITY };
  l[RLIMIT.NOFILE] = { cur: 1048576n, max: 1048576n };
  l[RLIMIT.MEMLOCK] = { cur: 8n << 20n, max: 8n << 20n };
  l[RLIMIT.NPROC] = { cur: 63457n, max: 63457n };
  l[RLIMIT.SIGPENDING] = { cur: 63457n, max: 63457n };
  l[RLIMIT.MSGQUEUE] = { cur: 819200n, max: 819200n };
  l[RLIMIT.NICE] = { cur: 0n, max: 0n };
  l[RLIMIT.RTPRIO] = { cur: 0n, max: 0n };
  return l;
}
