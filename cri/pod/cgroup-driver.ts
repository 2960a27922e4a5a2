// What the v1 and v2 cgroupfs drivers implement, for a cgroup path relative to the
// hierarchy root(s).

/** CRI LinuxContainerResources field names; int64 values as decimal strings, '0' or '' = unset. */
export interface Resources {
  cpu_period?: string; cpu_quota?: string; cpu_shares?: string;
  memory_limit_in_bytes?: string; cpuset_cpus?: string; cpuset_mems?: string;
}

export interface CgroupStats {
  cpuUsageNs: bigint;
  memoryUsageBytes: number;
  /** usage - inactive_file, as kubelet/cadvisor compute it (never below 0). */
  memoryWorkingSetBytes: number;
  memoryRssBytes: number;
  pageFaults: number;
  majorPageFaults: number;
  oomKills: number;
  /** Processes (not threads: pids.current counts those), as cadvisor's process count. */
  pids: number;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Creates the cgroup (and its missing ancestors) ready for processes; idempotent. */
  create(rel: string): void;
  exists(rel: string): boolean;
  addProcess(rel: string, pid: number): void;
  setResources(rel: string, r: Resources): void;
  stats(rel: string): CgroupStats;
  pids(rel: string): number[];
  /** Sends SIGKILL to everything in the cgroup, once. */
  killAll(rel: string): void;
  /** Removes the cgroup directories (throws EBUSY-style errors while tasks remain). */
  remove(rel: string): void;
}

/** usage - inactive_file, floored at 0 (cadvisor's working set). */
export function workingSet(usage: bigint, inactiveFile: bigint): number {
  return usage > inactiveFile ? Number(usage - inactiveFile) : 0;
}

export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}
