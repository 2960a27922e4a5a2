// cgroup v1 driver: one hierarchy per controller under the cgroupfs root
// (<root>/cpu, <root>/memory, …; cpu and cpuacct may be one co-mounted hierarchy
// reached through both names).
import * as fs from 'fs';
import * as path from 'path';
import { CgroupDriver, CgroupStats, killPids, Resources, workingSet } from './cgroup-driver';
import { cpusetField, int64Field, readBigInt, readKeyed, readOptional, removeCgroupDir, subtreePids, writeControl } from './cgroup-fs';

// cpuset first: a task can only join a cpuset cgroup whose cpus and mems are set.
const CONTROLLERS = ['cpuset', 'cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

export class CgroupV1 implements CgroupDriver {
  readonly version = 1 as const;
  constructor(private readonly root: string) {}

  /** Mounted hierarchies, deduplicated when two names reach the same one. */
  private hierarchies(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const c of CONTROLLERS) {
      const h = path.join(this.root, c);
      let real: string;
      try { real = fs.realpathSync(h); } catch { continue; }
      if (!seen.has(real)) { seen.add(real); out.push(h); }
    }
    return out;
  }

  private dir(controller: string, rel: string): string {
    return path.join(this.root, controller, rel);
  }

  private need(controller: string, rel: string): string {
    const d = this.dir(controller, rel);
    if (!fs.existsSync(d)) throw new Error(`cgroup v1 controller ${controller} is not available for ${rel} (no ${d})`);
    return d;
  }

  create(rel: string): void {
    for (const h of this.hierarchies()) {
      let dir = h;
      for (const seg of rel.split('/')) {
        const parent = dir;
        dir = path.join(dir, seg);
        fs.mkdirSync(dir, { recursive: true });
        // A new cpuset starts with no cpus and no mems (unless cgroup.clone_children):
        // inherit the parent's, or no process could join.
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const mine = readOptional(path.join(dir, f));
          const theirs = readOptional(path.join(parent, f));
          if (theirs !== undefined && theirs.trim() !== '' && (mine === undefined || mine.trim() === '')) writeControl(path.join(dir, f), theirs.trim());
        }
      }
    }
  }

  exists(rel: string): boolean {
    return this.hierarchies().some((h) => fs.existsSync(path.join(h, rel)));
  }

  addProcess(rel: string, pid: number): void {
    for (const h of this.hierarchies()) writeControl(path.join(h, rel, 'cgroup.procs'), String(pid));
  }

  setResources(rel: string, r: Resources): void {
    const shares = int64Field('cpu_shares', r.cpu_shares);
    const period = int64Field('cpu_period', r.cpu_period);
    const quota = int64Field('cpu_quota', r.cpu_quota);
    const mem = int64Field('memory_limit_in_bytes', r.memory_limit_in_bytes);
    const cpus = cpusetField('cpuset_cpus', r.cpuset_cpus);
    const mems = cpusetField('cpuset_mems', r.cpuset_mems);
    if (shares !== undefined) writeControl(path.join(this.need('cpu', rel), 'cpu.shares'), String(shares));
    // Period before quota: a quota is checked against the period in force.
    if (period !== undefined) writeControl(path.join(this.need('cpu', rel), 'cpu.cfs_period_us'), String(period));
    if (quota !== undefined) writeControl(path.join(this.need('cpu', rel), 'cpu.cfs_quota_us'), quota < 0n ? '-1' : String(quota));
    if (mem !== undefined) writeControl(path.join(this.need('memory', rel), 'memory.limit_in_bytes'), mem < 0n ? '-1' : String(mem));
    if (cpus !== undefined) writeControl(path.join(this.need('cpuset', rel), 'cpuset.cpus'), cpus);
    if (mems !== undefined) writeControl(path.join(this.need('cpuset', rel), 'cpuset.mems'), mems);
  }

  stats(rel: string): CgroupStats {
    if (!this.exists(rel)) throw new Error(`cgroup ${rel} does not exist under ${this.root}`);
    const memDir = this.dir('memory', rel);
    const mem = readKeyed(path.join(memDir, 'memory.stat'));
    const usage = readBigInt(path.join(memDir, 'memory.usage_in_bytes'));
    return {
      cpuUsageNs: readBigInt(path.join(this.dir('cpuacct', rel), 'cpuacct.usage')),
      memoryUsageBytes: Number(usage),
      memoryWorkingSetBytes: workingSet(usage, mem.get('total_inactive_file') ?? 0n),
      memoryRssBytes: Number(mem.get('total_rss') ?? 0n),
      pageFaults: Number(mem.get('total_pgfault') ?? 0n),
      majorPageFaults: Number(mem.get('total_pgmajfault') ?? 0n),
      oomKills: Number(readKeyed(path.join(memDir, 'memory.oom_control')).get('oom_kill') ?? 0n),
      pids: this.pids(rel).length,
    };
  }

  pids(rel: string): number[] {
    const all = new Set<number>();
    for (const h of this.hierarchies()) for (const p of subtreePids(path.join(h, rel))) all.add(p);
    return [...all].sort((a, b) => a - b);
  }

  killAll(rel: string): void {
    // Frozen, the tasks cannot fork while we collect them; thawed, they take the SIGKILL.
    const state = path.join(this.dir('freezer', rel), 'freezer.state');
    const freezer = fs.existsSync(state);
    if (freezer) writeControl(state, 'FROZEN');
    try {
      killPids(this.pids(rel));
    } finally {
      if (freezer) writeControl(state, 'THAWED');
    }
  }

  remove(rel: string): void {
    for (const h of this.hierarchies()) removeCgroupDir(path.join(h, rel));
  }
}
