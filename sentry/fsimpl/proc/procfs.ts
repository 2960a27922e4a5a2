/**
 * /proc generated from the Kernel: only sandbox processes are listed, and
 * identity files describe the emulated kernel (Linux 4.4.0), not the host.
 */
import { CLOCK_TICK_NS } from '../../abi/linux/auxv';
import { fail } from '../../errors/linuxerr';
import type { Kernel } from '../../kernel/kernel';
import { memoryView, MemoryView } from '../../kernel/memview';
import type { Process, Task } from '../../kernel/task';
import { Owner } from '../../vfs/inode';
import { procNetDev, procNetRoute } from '../socket/ifaces';
import { procNetSockets, SOCKET_TABLES } from '../socket/procnet';
import { ProcChild, ProcDir, ProcFdLink, ProcFile, ProcFs, ProcSymlink, ProcTable, ROOT_OWNER } from './nodes';
import { oomScore, parseOomScoreAdj, setOomScoreAdj } from '../../kernel/oom';
import { residentBytes } from '../../kernel/resident';
import { procMountInfo, procMounts } from './mounts';
import { auxv, fdinfo, fileMountId, IDENTITY_MAP, limits } from './pidinfo';
import { stat, statm, status } from './pidstat';
import { procSys } from './sys';
import { procSysvipc } from './sysvipc';

export const LINUX_VERSION = 'Linux version 4.4.0 #1 SMP Sun Jan 10 15:06:54 PST 2016';
export const LINUX_RELEASE = '4.4.0';

/** Host facts captured once at start-up (before the Sentry's seccomp filter). */
export interface HostInfo {
  cpuinfo: string;
  memTotalKb: number;
}

type Entries = [string, ProcChild][];

/** The CPUs the sandbox shows: those of the host's /proc/cpuinfo. */
export function cpuCount(cpuinfo: string): number {
  return Math.max(1, (cpuinfo.match(/^processor\s*:/gm) ?? []).length);
}

/** Builds procfs for `kernel`, returning its root directory. */
export function buildProcfs(dev: number, kernel: Kernel, host: HostInfo): ProcDir {
  const fs = new ProcFs(dev);
  const file = (gen: (reader?: Task) => string): ProcChild => (key) => new ProcFile(fs, key, ROOT_OWNER, gen);
  const dir = (entries: () => Entries, owner: Owner = ROOT_OWNER): ProcChild => (key) =>
    new ProcDir(fs, key, owner, () => new Map(entries()));
  const text = (s: string): ProcChild => file(() => `${s}\n`);

  const liveProcess = (pid: number): Process => {
    const p = kernel.processes.get(pid);
    return p ?? fail('ESRCH', `pid ${pid}`);
  };
  const ownerOf = (p: Process): Owner => ({ uid: p.creds.euid, gid: p.creds.egid });

  /** /proc/[pid], or with `tid` /proc/[pid]/task/[tid]: the same but for stat and status, which describe that thread. */
  const pidEntries = (pid: number, tid?: number): Entries => {
    const p = liveProcess(pid);
    const o = ownerOf(p);
    const pf = (gen: (p: Process) => string | Buffer, mode = 0o444): ProcChild => (key) =>
      new ProcFile(fs, key, o, () => gen(liveProcess(pid)), mode);
    const link = (target: (p: Process) => string): ProcChild => (key) =>
      new ProcSymlink(fs, key, o, () => target(liveProcess(pid)));
    const fds = (): Entries =>
      p.fds.list().map(([fd, f]): [string, ProcChild] => [String(fd), (key) => new ProcFdLink(fs, key, o, () => f)]);
    const fdinfos = (): Entries =>
      p.fds.list().map(([fd, f]): [string, ProcChild] => [String(fd), pf((p) => fdinfo(f, p.fds.getCloexec(fd), fileMountId(p, f)))]);
    return [
      // cgroup v2 only; every process sees its own cgroup as the root (a cgroup namespace per container).
      ['cgroup', pf(() => '0::/\n')],
      ['auxv', pf(auxv, 0o400)],
      ['cmdline', pf((p) => p.argv.map((a) => `${a}\0`).join(''))],
      ['comm', pf((p) => `${p.comm}\n`)],
      ['environ', pf((p) => p.envp.map((e) => `${e}\0`).join(''), 0o400)],
      ['exe', link((p) => p.exe)],
      ['cwd', link((p) => p.fs.cwd)],
      ['root', link(() => '/')],
      ['setgroups', pf(() => 'allow\n')],
      ['fd', dir(fds, o)],
      ['fdinfo', dir(fdinfos, o)],
      ['gid_map', pf(() => IDENTITY_MAP)],
      ['limits', pf(limits)],
      ['maps', pf(procMaps)],
      ['status', pf((p) => status(p, threadOf(p, tid)))],
      ['stat', pf((p) => stat(p, threadOf(p, tid)))],
      ['statm', pf(statm)],
      ['oom_score', pf((p) => `${oomScore(residentBytes(p), p.oomScoreAdj, memoryView(kernel, p, host.memTotalKb * 1024).totalBytes)}\n`)],
      ['oom_score_adj', (key) => new ProcFile(fs, key, o, () => `${liveProcess(pid).oomScoreAdj}\n`, 0o644, (data, writer) => {
        // Linux reads at most 12 bytes of a write (its buffer holds PROC_NUMBUF).
        setOomScoreAdj(liveProcess(pid), parseOomScoreAdj(data.slice(0, 12)), writer ?? fail('EPERM', 'oom_score_adj written by no task'));
      })],
      ['mounts', pf((p) => procMounts(p.mounts))],
      ['mountinfo', pf((p) => procMountInfo(p.mounts))],
      ['net', dir(() => net, o)],
      ['uid_map', pf(() => IDENTITY_MAP)],
      ['task', dir(() => [...p.tasks].map((t): [string, ProcChild] => [String(t.tid), dir(() => pidEntries(pid, t.tid), o)]), o)],
    ];
  };

  // The sandbox is one network namespace: every process sees the same.
  const net: Entries = [
    ['dev', file(() => procNetDev(kernel))],
    ['route', file(() => procNetRoute(kernel))],
    ...SOCKET_TABLES.map((t): [string, ProcChild] => [t, file(() => procNetSockets(kernel, t))]),
  ];

  const pidDir = (pid: number): ProcChild => (key) => new ProcDir(fs, key, ownerOf(liveProcess(pid)), () => new Map(pidEntries(pid)));

  const rootTable: ProcTable = () => {
    const m = new Map<string, ProcChild>([
      ['self', (key) => new ProcSymlink(fs, key, ROOT_OWNER, (t) => String(caller(t).process.pid))],
      ['thread-self', (key) => new ProcSymlink(fs, key, ROOT_OWNER, (t) => `${caller(t).process.pid}/task/${caller(t).tid}`)],
      ['mounts', (key) => new ProcSymlink(fs, key, ROOT_OWNER, () => 'self/mounts')],
      ['net', (key) => new ProcSymlink(fs, key, ROOT_OWNER, () => 'self/net')],
      ['cpuinfo', text(host.cpuinfo.trimEnd() + '\n')],
      ['meminfo', file((reader) => meminfo(memoryView(kernel, reader?.process, host.memTotalKb * 1024)))],
      ['uptime', file(() => uptime(kernel))],
      ['stat', file(() => kernelStat(kernel))],
      ['loadavg', file(() => `0.00 0.00 0.00 ${kernel.tasks.size}/${kernel.tasks.size} ${lastPid(kernel)}\n`)],
      ['version', text(LINUX_VERSION)],
      ['filesystems', text(['nodev\tsysfs', 'nodev\ttmpfs', 'nodev\tproc', 'nodev\tcgroup2', 'nodev\toverlay', 'nodev\t9p'].join('\n'))],
      ['sys', procSys(fs, kernel)],
      ['sysvipc', procSysvipc(fs, kernel)],
    ]);
    for (const pid of kernel.processes.keys()) m.set(String(pid), pidDir(pid));
    return m;
  };
  return new ProcDir(fs, '', ROOT_OWNER, rootTable);
}

/** Thread `tid` of `p` (ESRCH once it has ended); undefined for the process as a whole. */
function threadOf(p: Process, tid: number | undefined): Task | undefined {
  if (tid === undefined) return undefined;
  for (const t of p.tasks) if (t.tid === tid) return t;
  return fail('ESRCH', `thread ${tid}`);
}

function caller(t: Task | undefined): Task {
  return t ?? fail('ENOENT', '/proc/self without a calling task');
}

function lastPid(kernel: Kernel): number {
  return Math.max(0, ...kernel.processes.keys());
}

function uptime(kernel: Kernel): string {
  const s = Number(kernel.uptimeNs()) / 1e9;
  return `${s.toFixed(2)} ${s.toFixed(2)}\n`;
}

/**
 * /proc/stat (proc(5)): per-CPU time in USER_HZ ticks, boot time, and
 * process counts; `ps` needs btime, `top` the cpu lines. The app's CPU
 * time (live and exited processes, all as user time) is on cpu0, where
 * the sandbox runs; the rest of the uptime is idle.
 */
function kernelStat(kernel: Kernel): string {
  const cpus = kernel.cpus;
  const up = kernel.uptimeNs() / CLOCK_TICK_NS;
  let cpuNs = 0n;
  for (const ns of kernel.exitedCpuNs.values()) cpuNs += ns;
  for (const p of kernel.processes.values()) if (p.exitStatus === undefined) cpuNs += p.cpuTimeNs();
  const busy = cpuNs / CLOCK_TICK_NS;
  const user = busy < up ? busy : up;
  const line = (name: string, userTicks: bigint, idle: bigint) => `${name} ${userTicks} 0 0 ${idle} 0 0 0 0 0 0`;
  return [
    line('cpu ', user, up * BigInt(cpus) - user),
    ...Array.from({ length: cpus }, (_, i) => (i === 0 ? line('cpu0', user, up - user) : line(`cpu${i}`, 0n, up))),
    'intr 0',
    'ctxt 0',
    `btime ${Math.floor(kernel.bootRealtimeMs / 1000)}`,
    `processes ${lastPid(kernel)}`,
    `procs_running ${kernel.tasks.size}`,
    'procs_blocked 0',
    'softirq 0 0 0 0 0 0 0 0 0 0 0',
    '',
  ].join('\n');
}

/** /proc/meminfo: total and free as memview.ts gives them; the rest is not tracked (0). */
function meminfo(m: MemoryView): string {
  const [total, free] = [m.totalBytes, m.freeBytes].map((b) => Math.floor(b / 1024));
  const rows: [string, number][] = [
    ['MemTotal', total], ['MemFree', free], ['MemAvailable', free], ['Buffers', 0], ['Cached', 0],
    ['SwapCached', 0], ['Active', 0], ['Inactive', 0], ['SwapTotal', 0], ['SwapFree', 0],
    ['Dirty', 0], ['Writeback', 0], ['AnonPages', 0], ['Mapped', 0], ['Shmem', 0],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB\n`).join('');
}

/** /proc/[pid]/maps, from the memory manager. */
function procMaps(p: Process): string {
  return p.mm.procMaps();
}
