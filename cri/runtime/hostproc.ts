/**
 * Reading host processes' accounting from /proc: how the runtime measures
 * what a container's stubs use (and the benchmarks what a process tree
 * uses). A process that is gone counts as 0.
 */
import fs from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/[pid]/stat on Linux. */
const CLK_TCK = 100;

function procFile(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function procKiB(pid: number, file: string, field: RegExp): number {
  const m = procFile(pid, file).match(field);
  return m === null ? 0 : Number(m[1]);
}

/** Proportional set size in KiB (shared pages divided among their users). */
export function pssKiB(pid: number): number {
  return procKiB(pid, 'smaps_rollup', /^Pss:\s+(\d+) kB/m);
}

/** Resident set size (VmRSS) in KiB. */
export function rssKiB(pid: number): number {
  return procKiB(pid, 'status', /^VmRSS:\s+(\d+) kB/m);
}

/**
 * CPU time of all threads of a process, in nanoseconds: each thread's
 * scheduler runtime (/proc/[pid]/task/[tid]/schedstat, in ns), else
 * utime + stime (/proc/[pid]/stat, in ticks). Ticks are 10 ms: a process
 * that ran less than one, such as a shell that exec'd sleep, would read 0,
 * and metrics-server drops a container whose CPU time is 0 (`kubectl top`:
 * "not found").
 */
export function cpuNs(pid: number): bigint {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0n;
  }
  const runtimes = tids.map((tid) => procFile(pid, `task/${tid}/schedstat`).split(' ')[0]).filter((f) => /^\d+$/.test(f));
  if (runtimes.length > 0) return runtimes.reduce((sum, f) => sum + BigInt(f), 0n);
  const stat = procFile(pid, 'stat');
  // Fields after the parenthesised comm (which may contain spaces): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest.length < 13) return 0n;
  return (BigInt(rest[11]) + BigInt(rest[12])) * (1_000_000_000n / BigInt(CLK_TCK));
}

/** The pid of a process in its innermost PID namespace (the last NSpid field), or undefined when gone. */
export function innermostPid(pid: number): number | undefined {
  const m = procFile(pid, 'status').match(/^NSpid:\s+([\d\s]+)$/m);
  if (m === null) return undefined;
  const ids = m[1].trim().split(/\s+/);
  return ids.length > 1 ? Number(ids[ids.length - 1]) : undefined;
}
