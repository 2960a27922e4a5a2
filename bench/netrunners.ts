/**
 * The runners of the network benchmark: ways of running one program in
 * namespace A. native runs it directly (nsenter); tsvisor runs
 * `bin/tsvisor do --network=sandbox|host` there; runsc runs it as an OCI
 * container whose spec names A's namespace, with runsc's netstack
 * (`--network=sandbox`) on the ptrace platform.
 *
 * runsc is not started through `runsc do` (it refuses networking in what it
 * takes for the root namespace) nor under `ip netns exec` (its /sys remount
 * hides the cgroup tree runsc sets up). And this runsc (2022) decides
 * "root namespace" by whether /proc/sys/net/core/rmem_default exists, which
 * kernels since about 6.8 show in every namespace (gVisor issue 10704); so
 * runsc starts in a private mount namespace with an empty read-only tmpfs
 * over /proc/sys/net, which nothing else in runsc's netstack mode reads.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../e2e/syscalls/harness';

export const RUNSC = '/usr/bin/runsc';
const RUNSC_FLAGS = ['--platform=ptrace', '--network=sandbox'];
const NSENTER = '/usr/bin/nsenter';
const TSVISOR = path.join(REPO_ROOT, 'bin', 'tsvisor');
/** How long a stopped runner may take to exit before it is killed. */
const STOP_GRACE_MS = 5_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every process started here, so a failed or interrupted run leaves none behind. */
const live = new Set<Proc>();

/** A started process: its output so far, its exit, and a way to end it. */
export class Proc {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private readonly lineWaiters: { re: RegExp; resolve: () => void }[] = [];
  readonly exited: Promise<Exit>;

  constructor(readonly argv: string[], timeoutMs: number, private readonly cleanup: () => void = () => {}) {
    // Its own process group, so kill() reaches everything it started (a sandbox's helpers too).
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(this);
    this.child.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
      for (const w of this.lineWaiters.filter((x) => x.re.test(this.out))) w.resolve();
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.err += d.toString('utf8')));
    const timer = setTimeout(() => this.kill(), timeoutMs);
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        this.finish();
        resolve({ code, signal, stdout: this.out, stderr: this.err });
      };
      this.child.on('error', (e) => {
        this.err += e.message;
        done(127, null);
      });
      this.child.on('close', done);
    });
  }

  /** Resolves once stdout matches `re`; rejects if the process exits first. */
  async waitFor(re: RegExp): Promise<void> {
    if (re.test(this.out)) return;
    const seen = new Promise<void>((resolve) => this.lineWaiters.push({ re, resolve }));
    const gone = this.exited.then((e) => {
      throw new Error(`${this.argv.join(' ')} exited before printing ${re}: ${describeExit(e)}`);
    });
    await Promise.race([seen, gone]);
  }

  /** SIGTERM (sandboxes pass it on and clean up), SIGKILL after a grace period. */
  async stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill(), STOP_GRACE_MS);
      const e = await this.exited;
      clearTimeout(timer);
      return e;
    }
    return this.exited;
  }

  kill(): void {
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }

  /** Runs the cleanup once: at exit, or from killAll when this process is about to die. */
  finish(): void {
    if (!live.delete(this)) return;
    this.cleanup();
  }
}

/** Kills whatever is still running and cleans up after it, synchronously (for exit paths). */
export function killAll(): void {
  for (const p of [...live]) {
    p.kill();
    p.finish();
  }
}

export function describeExit(e: Exit): string {
  const how = e.signal !== null ? e.signal : `exit ${e.code}`;
  const lines = e.stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('warning: --network=host'));
  return `${how}${lines.length > 0 ? `: ${lines.slice(-3).join(' | ')}` : ''}`;
}

export function succeeded(e: Exit): boolean {
  return e.code === 0 && e.signal === null;
}

export interface NetRunner {
  readonly name: string;
  /** Why the runner cannot run here (printed in its row), if it cannot. */
  readonly unavailable?: string;
  /** Starts `argv` in namespace A; `writable` folders must accept writes from it. */
  start(argv: string[], writable: string[], timeoutMs: number): Proc;
}

function nativeRunner(netns: string): NetRunner {
  return { name: 'native', start: (argv, _w, timeoutMs) => new Proc([NSENTER, `--net=${netns}`, ...argv], timeoutMs) };
}

function tsvisorHelp(): string {
  const r = spawnSync(TSVISOR, ['do', '--help'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function tsvisorRunner(netns: string, mode: 'sandbox' | 'host', help: string): NetRunner {
  const name = `tsvisor ${mode}`;
  // Another mode may not be built yet: it shows in the usage text once it is.
  const modes = /--network=([a-z|]+)/.exec(help)?.[1].split('|') ?? [];
  if (!modes.includes(mode)) return { name, unavailable: `${mode}: not available`, start: () => { throw new Error(`${name} is not available`); } };
  return { name, start: (argv, _w, timeoutMs) => new Proc([NSENTER, `--net=${netns}`, TSVISOR, 'do', `--network=${mode}`, '--', ...argv], timeoutMs) };
}

/** Capabilities of Docker's default profile (nginx's master needs SETUID/SETGID to drop to its worker user). */
const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

/** An OCI config: the host's / read-only as root, the given folders bound writable, the network namespace at `netns`. */
function ociSpec(argv: string[], writable: string[], netns: string): object {
  return {
    ociVersion: '1.0.0',
    process: {
      user: { uid: 0, gid: 0 },
      args: argv,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, inheritable: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    },
    root: { path: '/', readonly: true },
    hostname: 'runsc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...writable.map((dir) => ({ destination: dir, type: 'bind', source: dir, options: ['rbind', 'rw'] })),
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: netns }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }] },
  };
}

function runscRunner(netns: string, workDir: string): NetRunner {
  const name = 'runsc';
  if (!fs.existsSync(RUNSC)) return { name, unavailable: `runsc: not available (no ${RUNSC})`, start: () => { throw new Error('runsc is not available'); } };
  let next = 0;
  return {
    name,
    start(argv, writable, timeoutMs) {
      const id = `tsvnb-${process.pid}-${next++}`;
      const bundle = path.join(workDir, `bundle-${id}`);
      fs.mkdirSync(bundle);
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(ociSpec(argv, writable, netns)));
      const hideNetSysctls = 'mount -t tmpfs -o ro,size=4k tsvnb /proc/sys/net && exec "$0" "$@"';
      const full = ['/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', hideNetSysctls, RUNSC, ...RUNSC_FLAGS, 'run', '--bundle', bundle, id];
      return new Proc(full, timeoutMs, () => {
        spawnSync(RUNSC, ['delete', '-force', id], { stdio: 'ignore' });
        fs.rmSync(bundle, { recursive: true, force: true });
      });
    },
  };
}

/** native, tsvisor sandbox, tsvisor host, runsc: in that order (the tables' rows). */
export function netRunners(netnsA: string, workDir: string): NetRunner[] {
  const help = tsvisorHelp();
  return [nativeRunner(netnsA), tsvisorRunner(netnsA, 'sandbox', help), tsvisorRunner(netnsA, 'host', help), runscRunner(netnsA, workDir)];
}
