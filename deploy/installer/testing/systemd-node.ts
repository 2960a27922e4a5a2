/**
 * Test-only: a node whose init is a real systemd, booted with `systemd-nspawn
 * -b` from a small root directory and this machine's /usr (read-only), in
 * its own network namespace. The installer reaches it as it reaches a node
 * from its pod: files under a root path (here /proc/<systemd>/root, which
 * also shows the node's tmpfs /run), commands through nsenter into its
 * namespaces. nspawn and everything it starts run in cgroups of their own,
 * removed on stop, so no process can outlive the test unnoticed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Host, inNamespacesOf, readCmdline, type RunResult, runCommand } from '../host';

/** Node paths → file text, or `{ symlink }`; directories are made as needed. */
export type NodeFiles = Record<string, string | { symlink: string }>;

const NSPAWN = '/usr/bin/systemd-nspawn';
const SYSTEMD = '/usr/lib/systemd/systemd';
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const CGROUP_PREFIX = 'tsvisor-test-';

/** The cgroup hierarchies systemd uses here: the unified one alone, or name=systemd beside it (hybrid). */
function cgroupHierarchies(): string[] {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  return ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((h) => fs.existsSync(path.join(h, 'cgroup.procs')));
}

/** Pids in cgroup `dir` and below. */
function cgroupPids(dir: string): number[] {
  const here = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const subdirs = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...here, ...subdirs.flatMap((e) => cgroupPids(path.join(dir, e.name)))];
}

function removeCgroup(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

/** Folders nspawn makes in this machine's /run (a disk here, so it leaves them): removed on stop when the boot made them. */
const NSPAWN_RUN_DIRS = ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/locks', '/run/systemd/nspawn', '/run/systemd/nspawn-root'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Every entry below `dir` with its type, mode, owner and content hash or link
 * target, sorted; files `unhashed` names are listed without their content.
 */
export function snapshot(dir: string, unhashed: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      const head = `${r} ${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out.push(head);
        walk(r);
      } else if (st.isSymbolicLink()) out.push(`${head} -> ${fs.readlinkSync(abs)}`);
      else if (st.isFile()) out.push(unhashed(r) ? head : `${head} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`);
      else out.push(`${head} ${st.rdev}`);
    }
  };
  walk('');
  return out;
}

export class SystemdNode {
  private constructor(
    /** The node's root directory on this machine (its persistent files; /run and /tmp are tmpfs inside). */
    readonly root: string,
    private readonly container: Container,
    /** The node's PID 1, as this machine numbers it. */
    readonly leader: number,
  ) {}

  /** The node as the installer's Host. */
  get host(): Host {
    const prefix = `/proc/${this.leader}/root`;
    return {
      path: (p) => path.join(prefix, p),
      run: (argv) => runCommand(inNamespacesOf(this.leader, argv)),
      cmdline: (pid) => readCmdline(path.join(prefix, 'proc'), pid),
    };
  }

  /**
   * Boots a node from `root` (created; must not exist) holding a minimal OS
   * tree plus `files`. Throws, with nspawn's output, when systemd does not
   * come up with every unit started.
   */
  static async boot(root: string, machine: string, files: NodeFiles): Promise<SystemdNode> {
    for (const tool of [NSPAWN, SYSTEMD]) {
      if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: run scripts/setup-test-deps.sh (Debian systemd, systemd-container)`);
    }
    makeRoot(root, files);
    const runDirs = NSPAWN_RUN_DIRS.filter((d) => !fs.existsSync(d));
    const hierarchies = cgroupHierarchies();
    if (hierarchies.length === 0) throw new Error('no cgroup hierarchy for systemd under /sys/fs/cgroup');
    // Left by a test process killed before stop(), once its node is gone (see --pdeathsig below).
    for (const stale of hierarchies.flatMap((h) => fs.readdirSync(h).filter((n) => n.startsWith(CGROUP_PREFIX)).map((n) => path.join(h, n)))) {
      if (cgroupPids(stale).length === 0) removeCgroup(stale);
    }
    const cgroups = hierarchies.map((h) => path.join(h, `${CGROUP_PREFIX}${machine}`));
    for (const cg of cgroups) fs.mkdirSync(cg);
    const logFile = `${root}.log`;
    const log = fs.openSync(logFile, 'w');
    // The shell joins the cgroups first, so nspawn's payload and supervisor cgroups are made below ours.
    // --pdeathsig: should this process die without stop(), nspawn gets SIGTERM and shuts the node down.
    const nspawn = spawn(
      '/bin/sh',
      [
        '-c',
        'for d; do echo $$ >"$d/cgroup.procs"; done; exec setpriv --pdeathsig TERM "$0" -D "$TSVISOR_NODE_ROOT" --bind-ro=/usr --boot --register=no --keep-unit --private-network --console=pipe -M "$TSVISOR_NODE_NAME"',
        NSPAWN,
        ...cgroups,
      ],
      { stdio: ['ignore', log, log], env: { ...process.env, TSVISOR_NODE_ROOT: root, TSVISOR_NODE_NAME: machine } },
    );
    fs.closeSync(log);
    const container: Container = { machine, nspawn, exited: new Promise((resolve) => nspawn.on('exit', () => resolve())), leader: 0, cgroups, runDirs, logFile };
    try {
      container.leader = await waitForLeader(container);
      const node = new SystemdNode(root, container, container.leader);
      const state = await node.waitBooted();
      if (state !== 'running') {
        const failed = (await node.systemctl('--failed', '--no-legend')).stdout;
        throw new Error(`the node's systemd is ${state}, not running; failed units:\n${failed}`);
      }
      return node;
    } catch (e) {
      const output = fs.readFileSync(logFile, 'utf8').slice(-4000);
      await teardown(container);
      throw new Error(`${(e as Error).message}\nsystemd-nspawn output:\n${output}`);
    }
  }

  /** `systemctl ARGS` on the node. */
  systemctl(...args: string[]): Promise<RunResult> {
    return this.host.run(['systemctl', ...args]);
  }

  /** One property of a unit (`systemctl show -p NAME --value`). */
  async show(unit: string, property: string): Promise<string> {
    const r = await this.systemctl('show', '-p', property, '--value', unit);
    if (r.code !== 0) throw new Error(`systemctl show ${unit}: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** The boot's final state, once no job is left (`is-system-running --wait`). */
  private async waitBooted(): Promise<string> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      // Before systemd opens its private socket, systemctl fails: try again.
      const r = await this.systemctl('is-system-running', '--wait');
      const state = r.stdout.trim();
      if (state !== '' && state !== 'offline' && state !== 'starting' && state !== 'initializing') return state;
      if (Date.now() > deadline) throw new Error(`systemd did not finish booting in ${BOOT_TIMEOUT_MS / 1000} s (${state || r.stderr.trim()})`);
      await sleep(200);
    }
  }

  /** Powers the node off and removes what booting it made here; throws if a process had to be killed. */
  async stop(): Promise<void> {
    const left = await teardown(this.container);
    if (left.length > 0) throw new Error(`processes left after the node stopped (killed): ${left.join(', ')}`);
  }
}

interface Container {
  machine: string;
  nspawn: ChildProcess;
  exited: Promise<void>;
  /** 0 until systemd is found. */
  leader: number;
  cgroups: string[];
  /** NSPAWN_RUN_DIRS that booting made. */
  runDirs: string[];
  logFile: string;
}

/**
 * Stops nspawn (SIGTERM: a clean shutdown of the node; SIGKILL of its PID 1,
 * which ends its PID namespace, if that takes too long), kills what is still
 * in its cgroups (ours), removes them, nspawn's folders and the log. Returns
 * the pids it had to kill.
 */
async function teardown(c: Container): Promise<number[]> {
  if (c.nspawn.exitCode === null && c.nspawn.signalCode === null) {
    c.nspawn.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([c.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (timedOut) {
      if (c.leader > 0) process.kill(c.leader, 'SIGKILL');
      c.nspawn.kill('SIGKILL');
      await c.exited;
    }
  }
  const pidsLeft = () => c.cgroups.flatMap((cg) => (fs.existsSync(cg) ? cgroupPids(cg) : []));
  const left = pidsLeft();
  for (const pid of left) process.kill(pid, 'SIGKILL');
  for (const deadline = Date.now() + STOP_TIMEOUT_MS; pidsLeft().length > 0; ) {
    if (Date.now() > deadline) throw new Error(`processes survive SIGKILL in ${c.cgroups.join(', ')}: ${pidsLeft().join(', ')}`);
    await sleep(50);
  }
  for (const cg of c.cgroups) removeCgroup(cg);
  // rmdir, never recursive: a folder that still holds something belongs to another nspawn too.
  for (const d of [path.join('/run/systemd/nspawn/propagate', c.machine), ...c.runDirs]) {
    try {
      fs.rmdirSync(d);
    } catch (e) {
      if (!['ENOENT', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  }
  fs.rmSync(c.logFile, { force: true });
  return left;
}

/** The minimal OS tree: /usr comes from this machine at boot; a fixed machine-id (no first-boot presets). */
function makeRoot(root: string, files: NodeFiles): void {
  fs.mkdirSync(root, { mode: 0o755 });
  for (const d of ['usr', 'etc/systemd/system', 'var/tmp', 'var/lib', 'tmp', 'root', 'opt', 'run', 'proc', 'sys', 'dev', 'home', 'srv']) {
    fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
  }
  for (const d of ['bin', 'lib', 'lib64', 'sbin']) fs.symlinkSync(`usr/${d}`, path.join(root, d));
  const base: NodeFiles = {
    '/etc/os-release': fs.readFileSync('/usr/lib/os-release', 'utf8'), // nspawn looks for it before /usr is mounted
    '/etc/machine-id': `${createHash('md5').update(root).digest('hex')}\n`,
    '/etc/passwd': fs.readFileSync('/etc/passwd', 'utf8'),
    '/etc/group': fs.readFileSync('/etc/group', 'utf8'),
  };
  for (const [p, content] of Object.entries({ ...base, ...files })) {
    const abs = path.join(root, p);
    fs.mkdirSync(path.dirname(abs), { recursive: true, mode: 0o755 });
    if (typeof content === 'string') fs.writeFileSync(abs, content, { mode: 0o644 });
    else fs.symlinkSync(content.symlink, abs);
  }
}

/** nspawn's child is the node's systemd (PID 1 of its own namespace). */
async function waitForLeader(c: Container): Promise<number> {
  let gone = false;
  void c.exited.then(() => (gone = true));
  for (const deadline = Date.now() + BOOT_TIMEOUT_MS; ; ) {
    for (const e of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === c.nspawn.pid && readCmdline('/proc', Number(e))?.[0] === SYSTEMD) return Number(e);
      } catch {
        // gone meanwhile
      }
    }
    if (gone) throw new Error(`systemd-nspawn exited with ${c.nspawn.exitCode} before systemd started`);
    if (Date.now() > deadline) throw new Error('systemd-nspawn started no systemd');
    await sleep(50);
  }
}
