/**
 * Throwaway test networks: network namespaces joined by veth pairs, made
 * per test and always torn down. A `NetLab` owns the namespaces it created
 * and the processes it started in them; `destroy()` ends the processes
 * (sandboxes gracefully first) and deletes the namespaces, which removes
 * their veths. Namespaces are named `tsvnet-PID-N-ROLE`, so the next run
 * deletes those of a test process that was killed before its hooks ran.
 *
 * Addresses come from 10.99.0.0/24 in every lab: each lab has its own
 * namespaces, so labs never see each other's addresses.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const IP = '/usr/sbin/ip';
const ETHTOOL = '/usr/sbin/ethtool';
const NS_PREFIX = 'tsvnet-';
/** `ip netns exec NS` bind-mounts the files in here over /etc (resolv.conf, hosts). */
const NETNS_ETC = '/etc/netns';

/** The result of a finished command. */
export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** argv prefixed so that it runs in `ns` (the root namespace when undefined). */
export function inNs(ns: string | undefined, argv: readonly string[]): string[] {
  return ns === undefined ? [...argv] : [IP, 'netns', 'exec', ns, ...argv];
}

/** Runs a short command synchronously (setup and inspection only: never while a sandbox must answer this process). */
export function runSync(ns: string | undefined, argv: readonly string[]): string {
  const full = inNs(ns, argv);
  return execFileSync(full[0], full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deleteNamespace(ns: string): void {
  quietly([IP, 'netns', 'del', ns]);
  rmSync(join(NETNS_ETC, ns), { recursive: true, force: true });
}

function quietly(argv: string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function pidAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Deletes the namespaces (and /etc/netns folders) of test processes that died without their after hooks. */
function removeStaleNamespaces(): void {
  const names = runSync(undefined, [IP, 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]);
  if (existsSync(NETNS_ETC)) names.push(...readdirSync(NETNS_ETC));
  for (const name of new Set(names)) {
    const owner = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner !== undefined && !pidAlive(Number(owner))) deleteNamespace(name);
  }
}

/** Waits until `child` exits, at most `ms` (then resolves false). */
export function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      res(true);
    });
  });
}

/** Collects a child's output and resolves when it exits (killed after `timeoutMs`). */
export function collect(child: ChildProcess, timeoutMs: number): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', rej);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

let labs = 0;

export class NetLab {
  private readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children: { child: ChildProcess; graceful: boolean }[] = [];

  constructor() {
    if (process.getuid?.() !== 0) throw new Error('the network e2e tests need root (network namespaces, veth, AF_PACKET)');
    for (const tool of [IP, ETHTOOL]) if (!existsSync(tool)) throw new Error(`the network e2e tests need ${tool} (Debian packages iproute2, ethtool)`);
    if (labs === 0) removeStaleNamespaces();
    this.prefix = `${NS_PREFIX}${process.pid}-${++labs}`;
  }

  /** A new namespace with `lo` up and IPv6 off (no router solicitations or DAD in the captures). */
  namespace(role: string): string {
    const ns = `${this.prefix}-${role}`;
    runSync(undefined, [IP, 'netns', 'add', ns]);
    this.namespaces.push(ns);
    runSync(ns, ['/usr/sbin/sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    runSync(ns, [IP, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * A veth pair from `a` to `b`, both ends up, each with its address when
   * given (CIDR). `plainFrames` turns checksum and segmentation offloads off
   * on both ends, so every frame on the wire has real checksums and fits the
   * MTU (needed when something other than a kernel forwards the frames).
   */
  veth(a: VethEnd, b: VethEnd, plainFrames = false): void {
    const where = (end: VethEnd) => (end.ns === undefined ? [] : ['netns', end.ns]);
    runSync(undefined, [IP, 'link', 'add', a.dev, ...where(a), 'type', 'veth', 'peer', 'name', b.dev, ...where(b)]);
    for (const end of [a, b]) {
      if (plainFrames) runSync(end.ns, [ETHTOOL, '-K', end.dev, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      if (end.cidr !== undefined) runSync(end.ns, [IP, 'addr', 'add', end.cidr, 'dev', end.dev]);
      runSync(end.ns, [IP, 'link', 'set', end.dev, 'up']);
    }
  }

  /** A file that replaces /etc/NAME for everything started in `ns` (through `ip netns exec`), sandboxes included. */
  etcFile(ns: string, name: string, content: string): void {
    mkdirSync(join(NETNS_ETC, ns), { recursive: true });
    writeFileSync(join(NETNS_ETC, ns, name), content);
  }

  /**
   * Starts `argv` in `ns` (the root namespace when undefined), owned by the
   * lab. `graceful` children (sandboxes) get SIGTERM at teardown, so that
   * bin/tsvisor ends its Sentry; the rest get SIGKILL.
   */
  spawn(ns: string | undefined, argv: readonly string[], graceful = false): ChildProcess {
    const full = inNs(ns, argv);
    const child = spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.on('error', () => {});
    this.children.push({ child, graceful });
    return child;
  }

  /** Runs `argv` in `ns` to completion (killed after `timeoutMs`). */
  exec(ns: string | undefined, argv: readonly string[], timeoutMs = 60_000, input?: string | Buffer): Promise<Exited> {
    const child = this.spawn(ns, argv);
    child.stdin?.end(input);
    return collect(child, timeoutMs);
  }

  /** Ends every process the lab started and deletes its namespaces. */
  async destroy(): Promise<void> {
    const live = this.children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
    for (const { child, graceful } of live) child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    for (const { child } of live) {
      if (!(await exitWithin(child, 10_000))) child.kill('SIGKILL');
      await exitWithin(child, 5_000);
    }
    for (const ns of this.namespaces.splice(0)) deleteNamespace(ns);
  }
}

export interface VethEnd {
  /** The namespace (the root namespace when undefined). */
  ns: string | undefined;
  dev: string;
  cidr?: string;
}

/** Installs a fresh lab per test in the calling describe block, destroyed after each test even when it failed. */
export function labPerTest(): () => NetLab {
  let current: NetLab | undefined;
  beforeEach(() => {
    current = new NetLab();
  });
  afterEach(async () => {
    const lab = current;
    current = undefined;
    await lab?.destroy();
  });
  return () => {
    if (current === undefined) throw new Error('no lab outside a test');
    return current;
  };
}

/** Two hosts on one link: A (where the sandbox runs) and B (the Linux peer). */
export interface TwoHosts {
  a: string;
  b: string;
  devA: string;
  addrA: string;
  addrB: string;
  prefixLength: number;
}

export const SUBNET = { addrA: '10.99.0.1', addrB: '10.99.0.2', prefixLength: 24 } as const;

/** Namespaces A and B joined by a veth pair (A's end `eth0`). */
export function twoHosts(lab: NetLab): TwoHosts {
  const a = lab.namespace('a');
  const b = lab.namespace('b');
  const { addrA, addrB, prefixLength } = SUBNET;
  lab.veth({ ns: a, dev: 'eth0', cidr: `${addrA}/${prefixLength}` }, { ns: b, dev: 'eth0', cidr: `${addrB}/${prefixLength}` });
  return { a, b, devA: 'eth0', addrA, addrB, prefixLength };
}

/** A and B on one subnet with a third namespace R between them (A–R and R–B pairs), for a user-space bridge in R. */
export interface BridgedHosts extends TwoHosts {
  r: string;
  /** R's ends: towards A and towards B. */
  rDevs: [string, string];
}

export function bridgedHosts(lab: NetLab): BridgedHosts {
  const a = lab.namespace('a');
  const b = lab.namespace('b');
  const r = lab.namespace('r');
  const { addrA, addrB, prefixLength } = SUBNET;
  lab.veth({ ns: a, dev: 'eth0', cidr: `${addrA}/${prefixLength}` }, { ns: r, dev: 'ra' }, true);
  lab.veth({ ns: r, dev: 'rb' }, { ns: b, dev: 'eth0', cidr: `${addrB}/${prefixLength}` }, true);
  // R's ends carry frames for the other side's MAC.
  for (const dev of ['ra', 'rb']) runSync(r, [IP, 'link', 'set', dev, 'promisc', 'on']);
  return { a, b, r, rDevs: ['ra', 'rb'], devA: 'eth0', addrA, addrB, prefixLength };
}

/** IPv4 addresses (CIDR) on `dev` in `ns`. */
export function ipv4Addresses(ns: string | undefined, dev?: string): string[] {
  const argv = [IP, '-4', '-o', 'addr', 'show', ...(dev === undefined ? [] : ['dev', dev])];
  return runSync(ns, argv)
    .split('\n')
    .map((l) => /\binet (\S+)/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined);
}
