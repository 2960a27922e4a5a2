/**
 * /sys/fs/cgroup: a read-only cgroup v2 hierarchy whose root is the
 * reader's own cgroup (kernel/cgroup.ts), as a runc container sees its
 * cgroup through a cgroup namespace and a read-only mount. Its files are
 * generated for the process reading them:
 * - cgroup.*: the core interface (procs and threads in it, no children,
 *   controllers cpu, memory and pids);
 * - memory.max, memory.current, memory.events (oom_kill), memory.stat
 *   (anon; file and shmem: tmpfs data; kernel and slab: tmpfs inodes),
 *   memory.swap.max (0 under a limit, as runc sets it for Kubernetes: the
 *   sandbox never swaps);
 * - cpu.max, cpu.weight (the runtime's settings) and cpu.stat (CPU time,
 *   all counted as user time: the host does not split it for the Sentry);
 * - pids.current (threads) and pids.max.
 * Not supported: child cgroups, writes (EROFS), pressure files, and the
 * other controllers (io, cpuset, hugetlb).
 */
import { FS_MAGIC } from '../../abi/linux/fs';
import { fail } from '../../errors/linuxerr';
import { type CgroupState, cgroupOf, chargedBytes, cpuUsageNs, members } from '../../kernel/cgroup';
import type { Kernel } from '../../kernel/kernel';
import type { Process, Task } from '../../kernel/task';
import { ProcDir, ProcFile, ProcFs, ROOT_OWNER } from '../proc/nodes';

/** What a file is generated from: the reader's cgroup, its live processes and its CPU time (each computed only by the files that show it). */
interface Reading {
  state: CgroupState;
  procs(): Process[];
  cpuNs(): bigint;
}

const keyed = (rows: [string, number | bigint][]): string => rows.map(([k, v]) => `${k} ${v}\n`).join('');

/** The interface files and how each is generated. */
const FILES: [string, (r: Reading) => string][] = [
  ['cgroup.controllers', () => 'cpu memory pids\n'],
  ['cgroup.events', (r) => `populated ${r.procs().length > 0 ? 1 : 0}\nfrozen 0\n`],
  ['cgroup.freeze', () => '0\n'],
  ['cgroup.max.depth', () => 'max\n'],
  ['cgroup.max.descendants', () => 'max\n'],
  ['cgroup.procs', (r) => r.procs().map((p) => `${p.pid}\n`).join('')],
  ['cgroup.stat', () => keyed([['nr_descendants', 0], ['nr_dying_descendants', 0]])],
  ['cgroup.subtree_control', () => '\n'],
  ['cgroup.threads', (r) => r.procs().flatMap((p) => [...p.tasks].map((t) => `${t.tid}\n`)).join('')],
  ['cgroup.type', () => 'domain\n'],
  ['cpu.max', (r) => `${r.state.cpuMax}\n`],
  ['cpu.stat', (r) => {
    const usec = r.cpuNs() / 1000n;
    return keyed([['usage_usec', usec], ['user_usec', usec], ['system_usec', 0], ['nr_periods', 0], ['nr_throttled', 0], ['throttled_usec', 0]]);
  }],
  ['cpu.weight', (r) => `${r.state.cpuWeight}\n`],
  ['memory.current', (r) => `${chargedBytes(r.state.memoryUsage())}\n`],
  ['memory.events', (r) => {
    const k = r.state.oomKills;
    return keyed([['low', 0], ['high', 0], ['max', k], ['oom', k], ['oom_kill', k], ['oom_group_kill', 0]]);
  }],
  ['memory.high', () => 'max\n'],
  ['memory.low', () => '0\n'],
  ['memory.max', (r) => `${limitText(r.state.memoryLimitBytes)}\n`],
  ['memory.min', () => '0\n'],
  ['memory.stat', (r) => {
    const u = r.state.memoryUsage();
    return keyed([['anon', u.anonBytes], ['file', u.fileBytes], ['kernel', u.kernelBytes], ['shmem', u.fileBytes], ['slab', u.kernelBytes]]);
  }],
  ['memory.swap.current', () => '0\n'],
  ['memory.swap.max', (r) => (r.state.memoryLimitBytes > 0 ? '0\n' : 'max\n')],
  ['pids.current', (r) => `${r.procs().reduce((n, p) => n + p.tasks.size, 0)}\n`],
  ['pids.max', () => 'max\n'],
];

function limitText(bytes: number): string {
  return bytes > 0 ? String(bytes) : 'max';
}

/** Builds the cgroup2 filesystem mounted at /sys/fs/cgroup, returning its root directory. */
export function buildCgroupfs(dev: number, kernel: Kernel): ProcDir {
  const fs = new ProcFs(dev, { type: 'cgroup2', magic: FS_MAGIC.CGROUP2, readOnly: true });
  const reading = (reader: Task | undefined): Reading => {
    const p = reader?.process ?? fail('ENOENT', 'cgroup file read without a reader');
    return { state: cgroupOf(kernel, p), procs: () => members(kernel, p.container), cpuNs: () => cpuUsageNs(kernel, p.container) };
  };
  const entries = FILES.map(([name, gen]): [string, (key: string) => ProcFile] => [
    name,
    (key) => new ProcFile(fs, key, ROOT_OWNER, (reader) => gen(reading(reader))),
  ]);
  return new ProcDir(fs, '', ROOT_OWNER, () => new Map(entries));
}
