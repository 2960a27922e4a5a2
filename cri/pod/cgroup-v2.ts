// cgroup v2 (unified hierarchy) driver.
import * as fs from 'fs';
import * as path from 'path';
import { CgroupDriver, CgroupStats, killPids, Resources, workingSet } from './cgroup-driver';
import { cpusetField, int64Field, readBigInt, readKeyed, readOptional, removeCgroupDir, subtreePids, writeControl } from './cgroup-fs';

const WANTED = ['cpu', 'cpuset', 'memory', 'pids'];

function tokens(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((t) => t !== '').map((t) => t.replace(/^\+/, ''));
}

/** cpu.shares (2..262144) to cpu.weight (1..10000): the linear mapping of the OCI
 *  runtimes' cgroup v2 conversion (crun(1) "CGROUP v2"). */
export function sharesToWeight(shares: bigint): bigint {
  const s = shares < 2n ? 2n : shares > 262144n ? 262144n : shares;
  return 1n + ((s - 2n) * 9999n) / 262142n;
}

/** cpu.max for a CRI quota/period pair, as runc writes it; undefined when both are unset. */
export function cpuMax(quota: bigint | undefined, period: bigint | undefined): string | undefined {
  if (quota === undefined && period === undefined) return undefined;
  const q = quota === undefined || quota < 0n ? 'max' : String(quota);
  return period === undefined ? q : `${q} ${period}`;
}

export class CgroupV2 implements CgroupDriver {
  readonly version = 2 as const;
  constructor(private readonly root: string) {}

  private dir(rel: string): string {
    return path.join(this.root, rel);
  }

  create(rel: string): void {
    // Each level must enable the controllers for the one below (cgroup.subtree_control);
    // a child can only have what its parent enabled.
    let dir = this.root;
    let available = tokens(readOptional(path.join(dir, 'cgroup.controllers')));
    for (const seg of rel.split('/')) {
      const enabled = tokens(readOptional(path.join(dir, 'cgroup.subtree_control')));
      const missing = WANTED.filter((c) => available.includes(c) && !enabled.includes(c));
      if (missing.length > 0) {
        try {
          writeControl(path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
        } catch (e) {
          throw new Error(`${(e as Error).message} (a cgroup v2 parent with processes of its own cannot delegate controllers: ` +
            'run the CRI server in a leaf cgroup, or give it a parent cgroup without processes)');
        }
      }
      available = [...enabled, ...missing];
      dir = path.join(dir, seg);
      fs.mkdirSync(dir, { recursive: true });
    }
  }

  exists(rel: string): boolean {
    return fs.existsSync(this.dir(rel));
  }

  addProcess(rel: string, pid: number): void {
    writeControl(path.join(this.dir(rel), 'cgroup.procs'), String(pid));
  }

  setResources(rel: string, r: Resources): void {
    const d = this.dir(rel);
    const shares = int64Field('cpu_shares', r.cpu_shares);
    const max = cpuMax(int64Field('cpu_quota', r.cpu_quota), int64Field('cpu_period', r.cpu_period));
    const mem = int64Field('memory_limit_in_bytes', r.memory_limit_in_bytes);
    const cpus = cpusetField('cpuset_cpus', r.cpuset_cpus);
    const mems = cpusetField('cpuset_mems', r.cpuset_mems);
    if (shares !== undefined) writeControl(path.join(d, 'cpu.weight'), String(sharesToWeight(shares)));
    if (max !== undefined) writeControl(path.join(d, 'cpu.max'), max);
    if (mem !== undefined) writeControl(path.join(d, 'memory.max'), mem < 0n ? 'max' : String(mem));
    if (cpus !== undefined) writeControl(path.join(d, 'cpuset.cpus'), cpus);
    if (mems !== undefined) writeControl(path.join(d, 'cpuset.mems'), mems);
  }

  stats(rel: string): CgroupStats {
    const d = this.dir(rel);
    if (!fs.existsSync(d)) throw new Error(`cgroup ${d} does not exist`);
    const cpu = readKeyed(path.join(d, 'cpu.stat'));
    const mem = readKeyed(path.join(d, 'memory.stat'));
    const usage = readBigInt(path.join(d, 'memory.current'));
    return {
      cpuUsageNs: (cpu.get('usage_usec') ?? 0n) * 1000n,
      memoryUsageBytes: Number(usage),
      memoryWorkingSetBytes: workingSet(usage, mem.get('inactive_file') ?? 0n),
      memoryRssBytes: Number(mem.get('anon') ?? 0n),
      pageFaults: Number(mem.get('pgfault') ?? 0n),
      majorPageFaults: Number(mem.get('pgmajfault') ?? 0n),
      oomKills: Number(readKeyed(path.join(d, 'memory.events')).get('oom_kill') ?? 0n),
      pids: this.pids(rel).length,
    };
  }

  pids(rel: string): number[] {
    return subtreePids(this.dir(rel));
  }

  killAll(rel: string): void {
    // cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks included.
    const kill = path.join(this.dir(rel), 'cgroup.kill');
    if (fs.existsSync(kill)) writeControl(kill, '1');
    else killPids(this.pids(rel));
  }

  remove(rel: string): void {
    removeCgroupDir(this.dir(rel));
  }
}
