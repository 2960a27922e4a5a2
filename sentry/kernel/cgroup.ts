/**
 * The cgroup a process is in, as the sandbox shows it (/proc/[pid]/cgroup,
 * /sys/fs/cgroup: fsimpl/cgroup): a pod container's cgroup, with the limits
 * the runtime gave it, or in a single-command sandbox one cgroup holding
 * every process, without limits. Programs size themselves from it: the Go
 * runtime's GOMAXPROCS from cpu.max, a JVM's heap from memory.max.
 */
import type { Kernel } from './kernel';
import type { Process } from './task';
import { residentBytes } from './resident';
import { type FilesInMemory, filesBytes, filesInMemory } from '../vfs/memfiles';

/** The kernel's default CFS period, µs (100 ms). */
export const CPU_PERIOD_DEFAULT_US = 100_000;
/** cpu.max with no quota, at the default period. */
export const CPU_MAX_UNLIMITED = `max ${CPU_PERIOD_DEFAULT_US}`;
/** cpu.weight of a cgroup nobody set a weight for. */
export const CPU_WEIGHT_DEFAULT = 100;

/** Resident memory of the processes (memory.stat anon) and their files held in memory: tmpfs and the writable layer. */
export interface CgroupMemoryUsage extends FilesInMemory {
  anonBytes: number;
}

/** What the cgroup is charged for (memory.current). */
export function chargedBytes(u: CgroupMemoryUsage): number {
  return u.anonBytes + filesBytes(u);
}

/** What a cgroup holds and limits. */
export interface CgroupState {
  /** memory.max in bytes; 0: max. */
  memoryLimitBytes: number;
  /** Measured now (a process running app code counts what was last measured, or 0). */
  memoryUsage(): CgroupMemoryUsage;
  /** memory.events oom_kill. */
  oomKills: number;
  /** cpu.max ("QUOTA PERIOD" in µs, QUOTA "max" for none) and cpu.weight (1-10000), as runc writes them. */
  cpuMax: string;
  cpuWeight: number;
}

/** The cgroup of `p`: its pod container's, else the whole sandbox's. */
export function cgroupOf(k: Kernel, p: Process): CgroupState {
  return k.containerCgroup?.(p) ?? sandboxCgroup(k);
}

/** The single-command sandbox's cgroup: no limits, every process, every file in memory. */
function sandboxCgroup(k: Kernel): CgroupState {
  return {
    memoryLimitBytes: 0,
    memoryUsage: () => ({ anonBytes: sum(members(k, ''), residentBytes), ...filesInMemory(k.vfs) }),
    oomKills: 0,
    cpuMax: CPU_MAX_UNLIMITED,
    cpuWeight: CPU_WEIGHT_DEFAULT,
  };
}

/** The live processes in the cgroup of container `id` ('' in a single-command sandbox). */
export function members(k: Kernel, id: string): Process[] {
  return [...k.processes.values()].filter((p) => p.container === id && p.exitStatus === undefined && p.tasks.size > 0);
}

/** CPU time used in the cgroup of container `id`: its live processes' and those that ended. */
export function cpuUsageNs(k: Kernel, id: string): bigint {
  let ns = k.exitedCpuNs.get(id) ?? 0n;
  for (const p of members(k, id)) ns += p.cpuTimeNs();
  return ns;
}

function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((n, x) => n + f(x), 0);
}

/** A cgroup's CPU settings: cpu.max and cpu.weight. */
export interface CpuLimits {
  max: string;
  weight: number;
}

/** Checked CPU settings from the runtime (defaults for absent ones); throws on a malformed value. */
export function cpuLimits(max: string | undefined, weight: number | undefined): CpuLimits {
  const m = max ?? CPU_MAX_UNLIMITED;
  const match = /^(max|[1-9]\d*) ([1-9]\d*)$/.exec(m);
  if (!match || Number(match[2]) > 1_000_000 || Number(match[2]) < 1000) throw new Error(`cpu.max ${JSON.stringify(m)}: not "QUOTA PERIOD" (µs, period 1000-1000000)`);
  const w = weight ?? CPU_WEIGHT_DEFAULT;
  if (!Number.isInteger(w) || w < 1 || w > 10_000) throw new Error(`cpu.weight ${w}: not an integer in 1-10000`);
  return { max: m, weight: w };
}
