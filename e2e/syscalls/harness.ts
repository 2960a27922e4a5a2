/**
 * End-to-end harness: runs a command natively and inside a sandbox, capturing
 * stdout bytes, stderr, exit status and every host process the run left
 * behind.
 *
 * Each run goes through the `reaper` helper (c/reaper.c), a child sub-reaper:
 * anything the sandbox leaks (stub, gofer) is re-parented to it, reported and
 * killed, so leak detection is exact even when other sandboxes run on the
 * machine. The sandbox under test is tsvisor unless TSVISOR_E2E_SANDBOX says
 * `runsc` (to check the tests themselves against gVisor).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export type RunnerKind = 'native' | 'tsvisor' | 'runsc';

/** Sandbox options, mapped onto each runner's own flags. */
export interface SandboxOptions {
  rootfs?: string;
  overlay?: 'memory' | 'none';
  hostname?: string;
  strace?: boolean;
}

export interface RunOptions extends SandboxOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutSec?: number;
  /** Extra raw flags for the runner's `do` command (tsvisor/runsc only). */
  rawFlags?: string[];
}

export interface RunResult {
  argv: string[];
  stdout: Buffer;
  stderr: string;
  /** Exit code of the runner, with signal death folded in as 128+n (like a shell). */
  code: number;
  /** Signal that killed the runner process itself, if any. */
  signal: number | null;
  timedOut: boolean;
  /** `pid cmdline` of every host process left alive after the run. */
  leaks: string[];
}

/** The sandbox the tests target (tsvisor by default). */
export const SANDBOX: RunnerKind = sandboxFromEnv(process.env.TSVISOR_E2E_SANDBOX);

function sandboxFromEnv(v: string | undefined): RunnerKind {
  if (v === undefined || v === '' || v === 'tsvisor') return 'tsvisor';
  if (v === 'runsc' || v === 'native') return v;
  throw new Error(`TSVISOR_E2E_SANDBOX must be tsvisor, runsc or native, not ${v}`);
}

/** The repository root (the folder holding package.json), from src or dist. */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'e2e'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no repository root above ${start}`);
  }
}

/** How runsc must be invoked here (root, ptrace platform, no network). */
export const RUNSC_PREFIX = ['/usr/bin/runsc', '--platform=ptrace', '--network=none'];

/**
 * Where fixtures live: the sandbox (like runsc) mounts a private tmpfs on
 * /tmp, so host files under /tmp are invisible inside it.
 */
const SCRATCH_BASE = '/var/tmp';

let workDir: string | undefined;

/** Removes scratch folders of test processes that died without cleaning up (killed by a signal). */
function removeStaleScratch(): void {
  for (const name of fs.readdirSync(SCRATCH_BASE)) {
    const owner = /^tsvisor-e2e-(\d+)-/.exec(name)?.[1];
    if (owner !== undefined && !fs.existsSync(`/proc/${owner}`)) {
      fs.rmSync(path.join(SCRATCH_BASE, name), { recursive: true, force: true });
    }
  }
}

/** A per-process scratch folder, removed when the process exits. */
export function scratchDir(): string {
  if (workDir === undefined) {
    removeStaleScratch();
    const dir = fs.mkdtempSync(path.join(SCRATCH_BASE, `tsvisor-e2e-${process.pid}-`));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}

/** A fresh empty folder inside the scratch folder. */
export function freshDir(prefix: string): string {
  return fs.mkdtempSync(path.join(scratchDir(), `${prefix}-`));
}

const compiled = new Map<string, string>();

/** Compiles e2e/syscalls/c/NAME.c statically with gcc (once per process). */
export function compileC(name: string): string {
  const cached = compiled.get(name);
  if (cached !== undefined) return cached;
  const src = path.join(REPO_ROOT, 'e2e', 'syscalls', 'c', `${name}.c`);
  const out = path.join(scratchDir(), name);
  const r = spawnSync('/usr/bin/gcc', ['-O2', '-Wall', '-static', '-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${name}.c failed:\n${r.stderr}`);
  compiled.set(name, out);
  return out;
}

/**
 * Builds the Go program e2e/syscalls/go/NAME (standard library only) as a
 * static binary (once per process), with the test cache's GOPATH.
 */
export function compileGo(name: string): string {
  const key = `go:${name}`;
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const out = path.join(scratchDir(), `${name}-go`);
  const env = { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOPATH: '/var/cache/tsvisor-test/go', GOPROXY: 'off' };
  const r = spawnSync('go', ['build', '-trimpath', '-o', out, '.'], { cwd: path.join(REPO_ROOT, 'e2e', 'syscalls', 'go', name), env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`go build ${name} failed:\n${r.stderr ?? r.error?.message}`);
  compiled.set(key, out);
  return out;
}

/** The host argv that runs `argv` under `kind` with the given options. */
export function runnerArgv(kind: RunnerKind, argv: string[], o: RunOptions = {}): string[] {
  if (kind === 'native') {
    // Never run a sandbox test's writes against the host's own root.
    if (o.rootfs !== undefined || o.overlay !== undefined) throw new Error('the native runner has no rootfs or overlay');
    return argv;
  }
  const flags: string[] = [];
  if (kind === 'tsvisor') {
    if (o.rootfs !== undefined) flags.push('--rootfs', o.rootfs);
    if (o.overlay !== undefined) flags.push(`--overlay=${o.overlay}`);
    if (o.hostname !== undefined) flags.push('--hostname', o.hostname);
    if (o.strace === true) flags.push('--strace');
    // The user's entry point (it adds the Sentry's PID and mount namespaces).
    return [path.join(REPO_ROOT, 'bin', 'tsvisor'), 'do', ...flags, ...(o.rawFlags ?? []), '--', ...argv];
  }
  const global: string[] = [];
  if (o.strace === true) global.push('--strace');
  if (o.rootfs !== undefined) flags.push('-root', o.rootfs, '-cwd', '/');
  if (o.overlay === 'none') flags.push('-force-overlay=false');
  if (o.hostname !== undefined) throw new Error('runsc do has no hostname flag');
  return [...RUNSC_PREFIX, ...global, 'do', ...flags, ...(o.rawFlags ?? []), ...argv];
}

let runCounter = 0;
const leaksSinceCheck: string[] = [];

/** Runs `argv` under `kind` via the reaper and collects the result. */
export function run(kind: RunnerKind, argv: string[], o: RunOptions = {}): RunResult {
  const timeoutSec = o.timeoutSec ?? 90;
  const report = path.join(scratchDir(), `report-${process.pid}-${runCounter++}`);
  const full = runnerArgv(kind, argv, o);
  const r = spawnSync(compileC('reaper'), [report, String(timeoutSec), ...full], {
    cwd: '/',
    env: o.env ?? process.env,
    input: o.input,
    maxBuffer: 1 << 30,
    // Backstop only: the reaper enforces the real timeout and kills the tree.
    timeout: (timeoutSec + 30) * 1000,
  });
  if (r.error !== undefined) throw r.error;
  const facts = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').split('\n') : [];
  fs.rmSync(report, { force: true });
  const leaks = facts.filter((l) => l.startsWith('leak ')).map((l) => l.slice(5).trim());
  leaksSinceCheck.push(...leaks);
  const exit = facts.find((l) => l.startsWith('exit '));
  const sig = facts.find((l) => l.startsWith('signal '));
  if (exit === undefined && sig === undefined) {
    throw new Error(`reaper gave no status for ${full.join(' ')} (status ${r.status}): ${r.stderr.toString()}`);
  }
  const signal = sig === undefined ? null : Number(sig.slice(7));
  return {
    argv: full,
    stdout: r.stdout,
    stderr: r.stderr.toString('utf8'),
    code: signal === null ? Number(exit?.slice(5)) : 128 + signal,
    signal,
    timedOut: facts.includes('timeout'),
    leaks,
  };
}

/** Runs `argv` in the sandbox under test. */
export function sandboxed(argv: string[], o: RunOptions = {}): RunResult {
  return run(SANDBOX, argv, o);
}

/** Runs `argv` on the host. */
export function native(argv: string[], o: RunOptions = {}): RunResult {
  return run('native', argv, o);
}

const STUB_OR_GOFER = /tsvisor-stub|gofer\/main\.js/;

/** `pid cmdline` of host processes that look like a tsvisor stub or gofer. */
function sandboxProcesses(): Map<number, string> {
  const found = new Map<number, string>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // A stub's argv is unmapped with its stack: it is known by its comm.
      const comm = fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`).toString('utf8').replace(/\0/g, ' ').trim() || comm;
      if (STUB_OR_GOFER.test(cmd)) found.set(Number(name), cmd);
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/**
 * Installs, in the calling describe block, hooks that fail when a test left
 * a host process behind (mocha then stops that block: a leak is serious): the reaper's exact reports, plus a /proc scan
 * for orphaned stub/gofer processes that appeared during the test (orphans
 * only, so another user's live sandbox is not mistaken for ours).
 */
export function checkNoLeaks(): void {
  let before = new Set<number>();
  beforeEach(() => {
    leaksSinceCheck.length = 0;
    before = new Set(sandboxProcesses().keys());
  });
  afterEach(() => {
    const leaked = leaksSinceCheck.splice(0).map((l) => `reaper: ${l}`);
    for (const [pid, cmd] of sandboxProcesses()) {
      const ppid = parentOf(pid);
      if (!before.has(pid) && (ppid === 1 || ppid === process.pid)) leaked.push(`orphan: ${pid} ${cmd}`);
    }
    if (leaked.length > 0) throw new Error(`host processes left behind:\n  ${leaked.join('\n  ')}`);
  });
}

/** A readable description of a run, for assertion messages. */
export function describeRun(r: RunResult): string {
  const out = r.stdout.toString('utf8');
  return [
    `$ ${r.argv.join(' ').slice(0, 300)}`,
    `code ${r.code}${r.timedOut ? ' (timed out)' : ''}`,
    `stdout (${r.stdout.length} bytes): ${JSON.stringify(out.slice(0, 400))}`,
    `stderr: ${JSON.stringify(r.stderr.slice(0, 800))}`,
  ].join('\n');
}

/** Whether stderr holds a JavaScript stack trace (a crash, not a clean error). */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m.test(stderr);
}
