/**
 * The sandbox's sysctls (/proc/sys): the namespaced ones a container may
 * set (IPC: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*; network:
 * net.*; UTS: kernel.hostname, kernel.domainname) hold per-kernel values
 * (one kernel per pod, whose containers share these namespaces, so pod
 * sysctls are the kernel's), parsed and range-checked as Linux's
 * proc_dointvec handlers do. The other files of /proc/sys (procfs.ts)
 * describe the emulated kernel and are read-only: Linux would only let the
 * host's initial namespaces change them.
 *
 * What the values change: the UTS names are uname's; kernel.shmmax,
 * shmall and shmmni are System V shared memory's limits (kernel/ipc/).
 * The other IPC and network values are reported but govern nothing yet:
 * the sandbox has no System V semaphores or message queues and no POSIX
 * message queues (those syscalls are ENOSYS), and its network stack does
 * not read them (its own defaults equal Linux's).
 */
import { fail } from '../errors/linuxerr';

/** The namespace a sysctl belongs to. */
export type SysctlNamespace = 'ipc' | 'net' | 'uts';

interface IntsKind {
  kind: 'ints';
  /** How many integers (tab-separated when read). */
  count: number;
  min?: number;
  max?: number;
  /** Extra rule over the whole vector (ip_local_port_range: low ≤ high). */
  check?: (v: number[]) => boolean;
}

interface OtherKind {
  kind: 'ulong' | 'string';
}

export type SysctlDef = (IntsKind | OtherKind) & { ns: SysctlNamespace; value: string };

const INT_MAX = 2 ** 31 - 1;
const int = (value: number, ns: SysctlNamespace, min?: number, max?: number): SysctlDef => ({ kind: 'ints', count: 1, min, max, ns, value: String(value) });
const ints = (values: number[], ns: SysctlNamespace, extra: Partial<IntsKind> = {}): SysctlDef => ({ kind: 'ints', count: values.length, ns, value: values.join('\t'), ...extra });
const text = (value: string, ns: SysctlNamespace): SysctlDef => ({ kind: 'string', ns, value });

/** Every namespaced sysctl the sandbox has, with Linux 4.4's defaults (the emulated kernel). */
export const SYSCTLS: Readonly<Record<string, SysctlDef>> = {
  'kernel.hostname': text('', 'uts'),
  'kernel.domainname': text('', 'uts'),
  'kernel.shm_rmid_forced': int(0, 'ipc', 0, 1),
  'kernel.shmmax': { kind: 'ulong', ns: 'ipc', value: '18446744073692774399' },
  'kernel.shmall': { kind: 'ulong', ns: 'ipc', value: '18446744073692774399' },
  'kernel.shmmni': int(4096, 'ipc', 0, 32768),
  'kernel.msgmax': int(8192, 'ipc', 0, INT_MAX),
  'kernel.msgmnb': int(16384, 'ipc', 0, INT_MAX),
  'kernel.msgmni': int(32000, 'ipc', 0, 32768),
  'kernel.sem': ints([32000, 1024000000, 500, 32000], 'ipc'),
  'fs.mqueue.msg_max': int(10, 'ipc', 1, 65536),
  'fs.mqueue.msgsize_max': int(8192, 'ipc', 128, 16777216),
  'fs.mqueue.queues_max': int(256, 'ipc', 0, INT_MAX),
  'fs.mqueue.msg_default': int(10, 'ipc', 1, 65536),
  'fs.mqueue.msgsize_default': int(8192, 'ipc', 128, 16777216),
  'net.core.somaxconn': int(128, 'net', 0, INT_MAX),
  'net.ipv4.ip_forward': int(0, 'net', 0, 1),
  'net.ipv4.ip_local_port_range': ints([32768, 60999], 'net', { min: 1, max: 65535, check: (v) => v[0] <= v[1] }),
  'net.ipv4.ip_unprivileged_port_start': int(1024, 'net', 0, 65535),
  'net.ipv4.ping_group_range': ints([1, 0], 'net', { min: 0, max: INT_MAX }),
  'net.ipv4.tcp_syncookies': int(1, 'net', 0, 2),
  'net.ipv4.tcp_fin_timeout': int(60, 'net', 0, INT_MAX),
  'net.ipv4.tcp_keepalive_time': int(7200, 'net', 1, INT_MAX),
  'net.ipv4.tcp_keepalive_intvl': int(75, 'net', 1, INT_MAX),
  'net.ipv4.tcp_keepalive_probes': int(9, 'net', 1, INT_MAX),
  'net.ipv4.tcp_rmem': ints([4096, 87380, 6291456], 'net', { min: 1, max: INT_MAX }),
  'net.ipv4.tcp_wmem': ints([4096, 16384, 4194304], 'net', { min: 1, max: INT_MAX }),
};

/** "net/ipv4/ip_forward" or "net.ipv4.ip_forward" → the dotted name. */
export const sysctlName = (name: string): string => name.replace(/\//g, '.');

/** The sysctls runc lets a container set: those of the IPC, network and UTS namespaces. */
const NAMESPACED = /^(kernel\.(shm|msg|sem)|fs\.mqueue\.|net\.|kernel\.(hostname|domainname)$)/;

/**
 * Why a container may not set `name` (Linux, or runc for it, would refuse
 * it, or the sandbox does not have it), or undefined when it may.
 */
export function sysctlRefusal(name: string): string | undefined {
  const n = sysctlName(name);
  if (!NAMESPACED.test(n)) return `sysctl ${JSON.stringify(name)} is not in a separate kernel namespace: only the host may set it`;
  if (!SYSCTLS[n]) return `sysctl ${JSON.stringify(name)} is not supported by the sandbox kernel`;
  return undefined;
}

/** Integers as proc_dointvec reads them: whitespace-separated decimals, at least one, at most `count`. */
function parseInts(def: IntsKind, input: string, old: number[]): number[] {
  const words = input.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || words.length > def.count) fail('EINVAL', `want ${def.count} integer(s)`);
  const next = [...old];
  words.forEach((w, i) => {
    if (!/^[-+]?\d+$/.test(w)) fail('EINVAL', `not an integer: ${JSON.stringify(w)}`);
    const v = Number(w);
    if (!Number.isSafeInteger(v) || (def.min !== undefined && v < def.min) || (def.max !== undefined && v > def.max)) fail('EINVAL', `out of range: ${w}`);
    next[i] = v;
  });
  if (def.check && !def.check(next)) fail('EINVAL', `invalid combination ${next.join(' ')}`);
  return next;
}

/**
 * A new value in its canonical form (what reading the file shows), or
 * EINVAL as Linux answers a write it cannot parse or that is out of range.
 */
export function parseSysctl(def: SysctlDef, input: string, old: string): string {
  switch (def.kind) {
    case 'ints':
      return parseInts(def, input, old.split('\t').map(Number)).join('\t');
    case 'ulong': {
      const w = input.trim();
      if (!/^\d+$/.test(w) || BigInt(w) >= 1n << 64n) fail('EINVAL', `not an unsigned long: ${JSON.stringify(w)}`);
      return BigInt(w).toString();
    }
    case 'string': {
      // proc_dostring: the text up to the first newline or NUL.
      const s = input.split(/[\n\0]/)[0];
      if (Buffer.byteLength(s, 'latin1') > 64) fail('EINVAL', 'longer than 64 bytes');
      return s;
    }
  }
}

/** A kernel's sysctl values; the UTS names live in the kernel's UTS namespace (`uts`). */
export class Sysctls {
  private readonly values = new Map<string, string>();

  constructor(private readonly uts: { hostname: string; domainname: string }) {}

  get(name: string): string {
    const n = sysctlName(name);
    if (n === 'kernel.hostname') return this.uts.hostname;
    if (n === 'kernel.domainname') return this.uts.domainname;
    return this.values.get(n) ?? SYSCTLS[n]?.value ?? fail('ENOENT', `sysctl ${name}`);
  }

  /** Sets a sysctl (ENOENT for unknown ones, EINVAL for a bad value). */
  set(name: string, input: string): void {
    const n = sysctlName(name);
    const def = SYSCTLS[n] ?? fail('ENOENT', `sysctl ${name}`);
    const value = parseSysctl(def, input, this.get(n));
    if (n === 'kernel.hostname') this.uts.hostname = value;
    else if (n === 'kernel.domainname') this.uts.domainname = value;
    else this.values.set(n, value);
  }
}
