/**
 * What the test cluster changes on the host outside its own folder, and how
 * tear-down puts it back: the kernel tunables kubelet sets, the iptables
 * chains kubelet (and kube-proxy) create, kubelet's cgroup root, and the few
 * host paths kubelet writes whatever its flags (/var/log/containers).
 * Each snapshot is taken before the cluster starts; restore() returns what
 * it had to undo, for the caller to report.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountsUnder } from '../cri/harness';
import { exec } from './component';

/**
 * The sysctls the cluster's components may change: kubelet's container manager
 * forces the first six (pkg/kubelet/cm, setupKernelTunables); kube-proxy sets
 * route_localnet for localhost NodePorts and the conntrack table size and
 * timeouts (the cluster turns both off, the snapshot is a safety net).
 */
export const CLUSTER_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet',
  'net/netfilter/nf_conntrack_max',
  'net/netfilter/nf_conntrack_tcp_timeout_established',
  'net/netfilter/nf_conntrack_tcp_timeout_close_wait',
];

export class SysctlSnapshot {
  private constructor(private readonly values: Map<string, string>) {}

  /** Keys absent on this kernel (e.g. conntrack's before its module is loaded) are left out. */
  static take(keys: readonly string[] = CLUSTER_SYSCTLS): SysctlSnapshot {
    const values = new Map<string, string>();
    for (const k of keys) if (fs.existsSync(`/proc/sys/${k}`)) values.set(k, fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim());
    return new SysctlSnapshot(values);
  }

  static fromJSON(json: Record<string, string>): SysctlSnapshot {
    return new SysctlSnapshot(new Map(Object.entries(json)));
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.values);
  }

  /** Writes back every value that changed; returns "key: now -> was" for each. */
  restore(): string[] {
    const changed: string[] = [];
    for (const [k, was] of this.values) {
      const now = fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim();
      if (now === was) continue;
      fs.writeFileSync(`/proc/sys/${k}`, `${was}\n`);
      changed.push(`${k}: ${now} -> ${was}`);
    }
    return changed;
  }
}

/** Splits an iptables-save rule line into arguments (double quotes group, backslash escapes). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ') {
      if (cur !== null) out.push(cur);
      cur = null;
    } else if (c === '"') {
      cur ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i] === '\\' ? line[++i] : line[i];
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** table -> chain names, and table -> rule lines ("-A CHAIN ..."), of one iptables-save output. */
export interface IptablesState {
  chains: Map<string, Set<string>>;
  rules: Map<string, string[]>;
}

export function parseIptablesSave(text: string): IptablesState {
  const chains = new Map<string, Set<string>>();
  const rules = new Map<string, string[]>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1);
      chains.set(table, new Set());
      rules.set(table, []);
    } else if (line.startsWith(':')) {
      chains.get(table)?.add(line.slice(1).split(' ')[0]);
    } else if (line.startsWith('-A ')) {
      rules.get(table)?.push(line);
    }
  }
  return { chains, rules };
}

const IPTABLES = ['iptables', 'ip6tables'] as const;
/** Chains of Kubernetes components (kubelet: KUBE-FIREWALL, KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY; kube-proxy: KUBE-*). */
const KUBE_CHAIN = /^KUBE-/;

async function iptablesSave(cmd: string, prefix: string[]): Promise<string> {
  const r = await runWith(prefix, `${cmd}-save`, []);
  if (r.code !== 0) throw new Error(`${cmd}-save failed: ${r.stderr}`);
  return r.stdout;
}

export class IptablesSnapshot {
  private constructor(private readonly before: Map<string, IptablesState>, private readonly prefix: string[]) {}

  /** `prefix` runs the iptables commands elsewhere, e.g. ['ip', 'netns', 'exec', NS]. */
  /** A snapshot with no chains: restore() removes every KUBE-* chain. */
  static empty(prefix: string[] = []): IptablesSnapshot {
    const none: IptablesState = { chains: new Map(), rules: new Map() };
    return new IptablesSnapshot(new Map(IPTABLES.map((cmd) => [cmd, none])), prefix);
  }

  static async take(prefix: string[] = []): Promise<IptablesSnapshot> {
    const before = new Map<string, IptablesState>();
    for (const cmd of IPTABLES) before.set(cmd, parseIptablesSave(await iptablesSave(cmd, prefix)));
    return new IptablesSnapshot(before, prefix);
  }

  /**
   * Removes KUBE-* chains that did not exist at the snapshot: first the rules
   * that jump to them from older chains, then their contents, then the chains.
   * Returns "cmd table chain" for each removed chain.
   */
  async restore(): Promise<string[]> {
    const removed: string[] = [];
    for (const cmd of IPTABLES) {
      const now = parseIptablesSave(await iptablesSave(cmd, this.prefix));
      const ipt = (args: string[]) => mustRun(this.prefix, cmd, ['-w', ...args]);
      const then = this.before.get(cmd)!;
      for (const [table, chains] of now.chains) {
        const added = [...chains].filter((c) => KUBE_CHAIN.test(c) && !then.chains.get(table)?.has(c));
        if (added.length === 0) continue;
        for (const rule of now.rules.get(table) ?? []) {
          const args = splitRule(rule);
          const jump = args.findIndex((a) => a === '-j' || a === '-g');
          const target = jump < 0 ? undefined : args[jump + 1];
          if (added.includes(args[1]) || target === undefined || !added.includes(target)) continue;
          await ipt(['-t', table, '-D', ...args.slice(1)]);
        }
        for (const c of added) await ipt(['-t', table, '-F', c]);
        for (const c of added) {
          await ipt(['-t', table, '-X', c]);
          removed.push(`${cmd} ${table} ${c}`);
        }
      }
    }
    return removed;
  }
}

function runWith(prefix: string[], bin: string, args: string[]) {
  return exec([...prefix, bin, ...args]);
}

async function mustRun(prefix: string[], bin: string, args: string[]): Promise<void> {
  const r = await runWith(prefix, bin, args);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr}`);
}

/** The mounted cgroup v1 hierarchies (and the v2 one, if any): mount points from /proc/self/mountinfo. */
export function cgroupMounts(): { v1: string[]; v2: string[] } {
  const v1: string[] = [];
  const v2: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post === undefined) continue;
    const fstype = post.split(' ')[0];
    const mountPoint = pre.split(' ')[4];
    if (fstype === 'cgroup') v1.push(mountPoint);
    else if (fstype === 'cgroup2') v2.push(mountPoint);
  }
  return { v1, v2 };
}

/**
 * A cgroup (e.g. "/tsvisor-k8s-123") created in every hierarchy for kubelet's
 * cgroupRoot, which must exist before kubelet starts. remove() deletes it and
 * everything below, deepest first.
 */
export class CgroupRoot {
  private constructor(readonly name: string, private readonly dirs: string[]) {}

  static create(name: string): CgroupRoot {
    const root = CgroupRoot.existing(name);
    for (const d of root.dirs) {
      fs.mkdirSync(d, { recursive: true });
      // A new cpuset has no cpus or mems, and no task can join it until it has.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const own = path.join(d, f);
        if (fs.existsSync(own) && fs.readFileSync(own, 'utf8').trim() === '') fs.writeFileSync(own, fs.readFileSync(path.join(path.dirname(d), f)));
      }
    }
    return root;
  }

  /** The cgroup `name` in every hierarchy, whether or not it exists (for remove()). */
  static existing(name: string): CgroupRoot {
    if (!/^\/[\w.-]+$/.test(name)) throw new Error(`cgroup root must be one path component: ${name}`);
    const { v1, v2 } = cgroupMounts();
    return new CgroupRoot(name, [...v1, ...v2].map((m) => path.join(m, name)));
  }

  /** Removes the cgroups bottom-up; returns the ones that still held processes (left in place). */
  remove(): string[] {
    const busy: string[] = [];
    const rm = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(dir, e.name));
      try {
        fs.rmdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
        busy.push(`${dir} (${(e as Error).message}; processes: ${procs.join(' ') || 'none'})`);
      }
    };
    for (const d of this.dirs) if (fs.existsSync(d)) rm(d);
    return busy;
  }
}

/**
 * Host folders kubelet writes to whatever its configuration says
 * (/var/log/containers holds a symlink per container log), plus its usual
 * defaults, which our flags move and which must therefore stay untouched.
 */
export const KUBELET_HOST_PATHS = ['/var/log/containers', '/var/log/pods', '/var/lib/kubelet', '/usr/libexec/kubernetes', '/etc/kubernetes'];

export class PathSnapshot {
  private constructor(private readonly before: Map<string, Set<string> | null>) {}

  static take(paths: readonly string[] = KUBELET_HOST_PATHS): PathSnapshot {
    return new PathSnapshot(new Map(paths.map((p) => [p, fs.existsSync(p) ? new Set(fs.readdirSync(p)) : null])));
  }

  static fromJSON(json: Record<string, string[] | null>): PathSnapshot {
    return new PathSnapshot(new Map(Object.entries(json).map(([p, e]) => [p, e === null ? null : new Set(e)])));
  }

  toJSON(): Record<string, string[] | null> {
    return Object.fromEntries([...this.before].map(([p, e]) => [p, e === null ? null : [...e]]));
  }

  /** Removes what appeared since the snapshot (new folders, new entries in old ones); returns their paths. */
  restore(): string[] {
    const removed: string[] = [];
    for (const [p, entries] of this.before) {
      if (!fs.existsSync(p)) continue;
      const added = entries === null ? [p] : fs.readdirSync(p).filter((e) => !entries.has(e)).map((e) => path.join(p, e));
      for (const a of added) {
        fs.rmSync(a, { recursive: true, force: true });
        removed.push(a);
      }
    }
    return removed;
  }
}

/** The host's address on its default route: kubelet refuses a loopback node IP. */
export async function defaultRouteAddress(): Promise<string> {
  const r = await exec(['ip', '-j', '-4', 'route', 'get', '198.51.100.1']);
  const routes = r.code === 0 ? (JSON.parse(r.stdout) as { prefsrc?: string }[]) : [];
  const ip = routes[0]?.prefsrc;
  if (ip === undefined || ip.startsWith('127.')) throw new Error(`no non-loopback IPv4 address on the default route: ${r.stdout}${r.stderr}`);
  return ip;
}

/** kubelet's root folder for a test process: outside the e2e scratch folder, which kubelet's mounts would pin. */
export function kubeletRootDir(pid = process.pid): string {
  return `/var/lib/tsvisor-e2e-kubelet-${pid}`;
}

/** kubelet's cgroup root for a test process. */
export function cgroupRootName(pid = process.pid): string {
  return `/tsvisor-k8s-${pid}`;
}

/** Where a running cluster keeps its host snapshots, so a later run can restore them if this process is killed. */
export function hostStateFile(pid = process.pid): string {
  return `/var/lib/tsvisor-e2e-cluster-${pid}.json`;
}

export interface HostState {
  sysctls: Record<string, string>;
  paths: Record<string, string[] | null>;
}

/**
 * Puts back what clusters of test processes that no longer exist (killed
 * before their tear-down) left: sysctls and kubelet's host paths from their
 * state file, kubelet root folders with their mounts, cgroup roots, and, when
 * no cluster is running any more, every KUBE-* iptables chain. Returns what it did.
 */
export async function removeStaleClusters(): Promise<string[]> {
  const dead = (pid: string) => !fs.existsSync(`/proc/${pid}`);
  const done: string[] = [];
  let live = 0;
  for (const name of fs.readdirSync('/var/lib')) {
    const [, kind, pid] = /^tsvisor-e2e-(kubelet|cluster)-(\d+)(?:\.json)?$/.exec(name) ?? [];
    if (pid === undefined) continue;
    if (!dead(pid)) {
      live++;
      continue;
    }
    const file = path.join('/var/lib', name);
    if (kind === 'cluster') {
      const state = JSON.parse(fs.readFileSync(file, 'utf8')) as HostState;
      done.push(...SysctlSnapshot.fromJSON(state.sysctls).restore(), ...PathSnapshot.fromJSON(state.paths).restore());
    } else {
      for (const m of mountsUnder(file).reverse()) await exec(['umount', '-l', m]);
    }
    fs.rmSync(file, { recursive: true, force: true });
    done.push(`removed ${file}`);
  }
  const { v1, v2 } = cgroupMounts();
  const stale = new Set([...v1, ...v2].flatMap((m) => fs.readdirSync(m)).filter((e) => /^tsvisor-k8s-(\d+)$/.test(e) && dead(e.slice('tsvisor-k8s-'.length))));
  for (const name of stale) {
    const busy = CgroupRoot.existing(`/${name}`).remove();
    done.push(busy.length === 0 ? `removed cgroup /${name}` : `cgroup /${name} still in use: ${busy.join('; ')}`);
  }
  if (live === 0) done.push(...(await IptablesSnapshot.empty().restore()));
  return done;
}
