/**
 * Helpers for the CRI end-to-end tests: a local registry holding the test
 * images, the `tsvisor cri` server under test, Debian's containerd as the
 * reference (and `--upstream`) runtime, and crictl against either.
 *
 * Everything runs in fresh folders under the e2e scratch folder and is torn
 * down by stop(): processes killed, mounts left below the folder reported as
 * leaks, folders removed.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { constants } from 'node:os';
import * as path from 'node:path';
import { buildTestImages } from '../images/build';
import { CRITEST_MIRRORED_REGISTRIES } from '../images/critest';
import { imageRef, pushAll, Registry } from '../images/client';
import { TestImage } from '../images/oci';
import { kill, RegistryOptions, RunningRegistry, startRegistry } from '../images/registry';
import { PAUSE_IMAGE } from '../images/testimages';
import { freshDir, REPO_ROOT } from '../syscalls/harness';
import { crictlPath } from './tools';

export { startRegistry };
export type { RegistryOptions, RunningRegistry };

let imagesCache: TestImage[] | undefined;

/** The test images, built once per process (deterministic, so every build is identical). */
export function testImages(): TestImage[] {
  imagesCache ??= buildTestImages();
  return imagesCache;
}

export interface PushedRegistry extends RunningRegistry {
  images: TestImage[];
  /** "HOST/REPOSITORY:TAG" of a pushed image, e.g. ref('tsvisor-test/busybox:1.0'). */
  ref(repositoryAndTag: string): string;
  /** The pushed image named "REPOSITORY:TAG". */
  image(repositoryAndTag: string): TestImage;
}

/** A registry (see startRegistry) with every test image pushed. */
export async function withPushedImages(opts: RegistryOptions = {}): Promise<PushedRegistry> {
  const reg = await startRegistry(opts);
  try {
    const images = testImages();
    await pushAll(reg, images);
    const image = (name: string): TestImage => {
      const found = images.find((i) => `${i.repository}:${i.tag}` === name);
      if (found === undefined) throw new Error(`no test image ${name}`);
      return found;
    };
    return { ...reg, images, image, ref: (name) => imageRef(reg, image(name)) };
  } catch (e) {
    await reg.stop();
    throw e;
  }
}

/** A process of the harness with its log and a folder removed on stop. */
interface Managed {
  dir: string;
  /** The process's pid (leak checks leave it out). */
  pid: number;
  log(): string;
  stop(): Promise<void>;
  /** kill -9 of the process alone, as a crash: what it started lives on and its folders stay. */
  crash(): Promise<void>;
}

export interface CriServer extends Managed {
  /** unix:// endpoint for crictl/critest. */
  endpoint: string;
  socket: string;
  root: string;
  stateDir: string;
  /** A new server on the same socket, root and state (after crash()); its stop() does the cleanup. */
  restart(): Promise<CriServer>;
}

export interface CriServerOptions {
  /** The upstream runtime's endpoint for handlers that are not ours (`--upstream`). */
  upstream?: string;
  /** Further `tsvisor cri` flags. */
  args?: string[];
  /** Seconds to wait for the socket (default 30). */
  startTimeoutSec?: number;
}

/**
 * Runs `tsvisor cri` with its socket, root and state in fresh folders and
 * waits until the socket exists. The state folder is short (under /run):
 * unix socket paths below it must fit in 108 bytes.
 */
export async function startCriServer(o: CriServerOptions = {}): Promise<CriServer> {
  removeStaleCriState();
  const stateDir = fs.mkdtempSync(STATE_PREFIX);
  fs.writeFileSync(path.join(stateDir, OWNER_FILE), String(process.pid));
  return startCriServerIn(freshDir('cri'), stateDir, o);
}

/** CRI servers' state folders (short: unix socket paths below them must fit in 108 bytes), and the test process owning each. */
const STATE_PREFIX = '/run/tsvc-';
const OWNER_FILE = 'test-owner';
let staleStateChecked = false;

/**
 * State folders whose test process is gone (killed mid-run, so nothing
 * stopped its pods): pod Sentries survive their CRI server by design, so
 * they, their netns mounts and files are removed here, once per process.
 */
function removeStaleCriState(): void {
  if (staleStateChecked) return;
  staleStateChecked = true;
  for (const name of fs.readdirSync('/run').filter((n) => `/run/${n}`.startsWith(STATE_PREFIX))) {
    const dir = `/run/${name}`;
    let owner: string;
    try {
      owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim();
    } catch {
      continue; // not ours to judge
    }
    if (/^\d+$/.test(owner) && fs.existsSync(`/proc/${owner}`)) continue;
    for (const p of processesMentioning([dir])) {
      try {
        process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startCriServerIn(dir: string, stateDir: string, o: CriServerOptions): Promise<CriServer> {
  const socket = path.join(dir, 'cri.sock');
  const root = path.join(dir, 'root');
  const args = [path.join(REPO_ROOT, 'bin', 'tsvisor.js'), 'cri', '--socket', socket, '--root', root, '--state-dir', stateDir];
  if (o.upstream !== undefined) args.push('--upstream', o.upstream);
  args.push(...(o.args ?? []));
  const m = await startManaged(dir, process.execPath, args, socket, o.startTimeoutSec ?? 30, [stateDir]);
  return { ...m, endpoint: `unix://${socket}`, socket, root, stateDir, restart: () => startCriServerIn(dir, stateDir, o) };
}

export interface ContainerdOptions {
  /**
   * The registry images come from: pulled over plain HTTP or with its CA, and
   * mirrored for critest's registries (registry.k8s.io, gcr.io). The sandbox
   * image is its tsvisor-test/pause.
   */
  registry?: Registry & { caFile?: string };
  /** Seconds to wait for the socket (default 30). */
  startTimeoutSec?: number;
}

export interface Containerd extends Omit<CriServer, 'restart'> {
  /** The CNI configuration folder (one bridge + host-local conflist). */
  cniConfDir: string;
}

/** A small per-process number for names that must not clash between parallel test processes. */
function slot(): number {
  return process.pid % 200;
}

/** A bridge + host-local IPAM + portmap conflist in its own subnet and bridge. */
export function cniConflist(name: string, bridge: string, subnet: string, ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name,
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

/** containerd's hosts.toml for one registry name, served by `reg`. */
function hostsToml(reg: Registry & { caFile?: string }): string {
  const url = `${reg.scheme}://${reg.host}`;
  const ca = reg.caFile !== undefined ? `  ca = ${JSON.stringify(reg.caFile)}\n` : '';
  return `server = ${JSON.stringify(url)}\n\n[host.${JSON.stringify(url)}]\n  capabilities = ["pull", "resolve"]\n${ca}`;
}

/**
 * Runs Debian's containerd (1.6) with its CRI plugin as the reference
 * runtime: own root, state, socket and CNI configuration, runc, cgroupfs.
 */
export async function startContainerd(o: ContainerdOptions = {}): Promise<Containerd> {
  const dir = freshDir('containerd');
  const d = (...p: string[]) => path.join(dir, ...p);
  const socket = d('containerd.sock');
  const cniConfDir = d('net.d');
  fs.mkdirSync(cniConfDir);
  const n = slot();
  const bridge = `tsvctd${n}`;
  fs.writeFileSync(path.join(cniConfDir, '10-tsvisor-test.conflist'), cniConflist(`tsvisor-test-${n}`, bridge, `10.234.${n}.0/24`, d('ipam')));
  const certsDir = d('certs.d');
  if (o.registry !== undefined) {
    for (const name of [o.registry.host, ...CRITEST_MIRRORED_REGISTRIES]) {
      fs.mkdirSync(path.join(certsDir, name), { recursive: true });
      fs.writeFileSync(path.join(certsDir, name, 'hosts.toml'), hostsToml(o.registry));
    }
  }
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const sandboxImage = o.registry !== undefined ? imageRef(o.registry, PAUSE_IMAGE) : 'registry.k8s.io/pause:3.6';
  const config = [
    'version = 2',
    `root = ${JSON.stringify(d('root'))}`,
    `state = ${JSON.stringify(d('state'))}`,
    `[grpc]\n  address = ${JSON.stringify(socket)}`,
    `[ttrpc]\n  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
    `[plugins."io.containerd.internal.v1.opt"]\n  path = ${JSON.stringify(d('opt'))}`,
    // restrict_oom_score_adj: the CRI plugin gives pause containers oom_score_adj -998,
    // and lowering it needs CAP_SYS_RESOURCE, which root lacks on the test VMs (runc's
    // nsexec then fails with "can't get final child's PID from pipe: EOF").
    `[${cri}]\n  sandbox_image = ${JSON.stringify(sandboxImage)}\n  stream_server_address = "127.0.0.1"\n  stream_server_port = "0"\n  restrict_oom_score_adj = true`,
    `[${cri}.cni]\n  bin_dir = "/usr/lib/cni"\n  conf_dir = ${JSON.stringify(cniConfDir)}`,
    `[${cri}.registry]\n  config_path = ${JSON.stringify(certsDir)}`,
    `[${cri}.containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"`,
    // runc's state in our folder, not the host's /run/containerd/runc.
    `[${cri}.containerd.runtimes.runc.options]\n  Root = ${JSON.stringify(d('runc'))}`,
    '',
  ].join('\n\n');
  fs.writeFileSync(d('config.toml'), config);
  const m = await startManaged(dir, '/usr/bin/containerd', ['--config', d('config.toml')], socket, o.startTimeoutSec ?? 30, []);
  const endpoint = `unix://${socket}`;
  // Pods outlive containerd (their shims are separate processes): take down
  // what a test left, as a leak, while containerd can still do it properly.
  const stop = async () => {
    const left = await crictl(endpoint, ['pods', '-q', '--no-trunc']);
    const removed = left.code === 0 && left.stdout.trim() !== '' ? await crictl(endpoint, ['rmp', '--all', '--force']) : undefined;
    try {
      await m.stop();
    } finally {
      await run('ip', ['link', 'delete', bridge]); // CNI's bridge stays after its last pod; absent when no pod ran
    }
    if (removed !== undefined) throw new Error(`containerd: pods left behind: ${left.stdout.trim().split('\n').join(' ')}\n${removed.stdout}${removed.stderr}`);
  };
  return { ...m, stop, endpoint, socket, root: d('root'), stateDir: d('state'), cniConfDir };
}

/** Mount points at or below `dir` (from /proc/self/mountinfo, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Host processes whose command line mentions one of `dirs` (what a server under test left running). */
export function processesMentioning(dirs: string[]): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // gone
    }
    if (dirs.some((d) => cmdline.includes(d))) found.push(`${pid} ${cmdline}`);
  }
  return found;
}

/**
 * Starts `argv` (with a parent-death SIGKILL, so it cannot outlive a killed
 * test process), waits for `socket` to appear, and returns a stop() that
 * kills it, then fails if it left processes or mounts behind (after
 * cleaning them up).
 */
async function startManaged(dir: string, bin: string, args: string[], socket: string, timeoutSec: number, extraDirs: string[]): Promise<Managed> {
  const logFile = path.join(dir, 'server.log');
  // Appended to: a restarted server (same folder) keeps its predecessor's log.
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', logFd, logFd], cwd: dir });
  fs.closeSync(logFd);
  const log = () => fs.readFileSync(logFile, 'utf8');
  const owned = [dir, ...extraDirs];
  const stop = async () => {
    await kill(child, 15_000);
    const problems: string[] = [];
    // Give a server's children a moment to follow it, then take them down.
    for (let i = 0; i < 20 && processesMentioning(owned).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    for (const p of processesMentioning(owned)) {
      problems.push(`process left running: ${p}`);
      try {
        process.kill(Number(p.split(' ')[0]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const text = log(); // before its folder is removed
    for (const d of owned) {
      for (const m of mountsUnder(d).reverse()) {
        problems.push(`mount left behind: ${m}`);
        await run('umount', ['-l', m]);
      }
      fs.rmSync(d, { recursive: true, force: true });
    }
    if (problems.length > 0) throw new Error(`${path.basename(bin)} did not clean up:\n${problems.join('\n')}\n--- log ---\n${text}`);
  };
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + timeoutSec * 1000;
  // A crashed predecessor leaves its socket file: wait until a server answers on it.
  const ready = () =>
    new Promise<boolean>((resolve) => {
      const c = net.connect(socket);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
  while (!(await ready())) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `no socket after ${timeoutSec} s`;
      const text = log();
      await stop().catch(() => undefined);
      throw new Error(`${bin} ${args.join(' ')}: ${why}\n--- log ---\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dir, pid: child.pid!, log, stop, crash };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the tool after this many seconds (default 120); a timeout is reported as code 124. */
  timeoutSec?: number;
}

/** Runs a command without blocking the event loop (in-process servers, e.g. the token server, keep answering). */
export function run(bin: string, args: string[], o: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    // Without input, stdin is /dev/null: writing an empty stdin to a command that exits at once can fail with EPIPE.
    const child: ChildProcess = spawn(bin, args, { env: o.env ?? process.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, (o.timeoutSec ?? 120) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : code ?? 128 + (signal !== null ? constants.signals[signal] : 0),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    if (child.stdin !== null) {
      child.stdin.on('error', () => undefined); // EPIPE: it exited without reading; its exit status tells
      child.stdin.end(o.input);
    }
  });
}

/**
 * crictl against `server` (an endpoint "unix://...", or a running server):
 * both runtime and image endpoint, `--timeout 60s`, no config file.
 */
export function crictl(server: string | { endpoint: string }, args: string[], o: ToolOptions = {}): Promise<ToolResult> {
  const endpoint = typeof server === 'string' ? server : server.endpoint;
  const flags = ['--config', '/dev/null', '--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', '60s'];
  return run(crictlPath(), [...flags, ...args], o);
}

/** crictl that must succeed: its stdout, or a failed assertion with its output (and `log`'s tail, e.g. a server's). */
export async function crictlOk(server: string | { endpoint: string }, args: string[], log: () => string = () => ''): Promise<string> {
  const r = await crictl(server, args);
  if (r.code !== 0) throw new Error(`crictl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}\n${log().slice(-2000)}`);
  return r.stdout;
}

/** Writes `v` as JSON into `dir` (a crictl config file) and returns its path. */
export function writeJson(dir: string, name: string, v: object): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, JSON.stringify(v));
  return p;
}

/** `tsvisor cri` in front of the reference containerd, both on the pushed test images, for comparing gvisor pods with runc pods. */
export interface ReferencePair {
  dir: string;
  reg: PushedRegistry;
  ctd: Containerd;
  cri: CriServer;
  /** Stops both servers and the registry and deletes tsvisor's CNI bridge (pods must be removed first). */
  stop(): Promise<void>;
}

export type PairSide = 'runc' | 'gvisor';

/** A ReferencePair with the busybox test image pulled and one pod on each side. */
export interface PodPair extends ReferencePair {
  /** The pulled busybox image's reference. */
  busybox: string;
  pods: Record<PairSide, string>;
}

/**
 * startReferencePair, then busybox pulled and a pod of each side run from
 * `podConfig(side, dir)` (a crictl pod config file); stop() removes the pods first.
 */
export async function startPodPair(name: string, octet: number, podConfig: (side: PairSide, dir: string) => string): Promise<PodPair> {
  const pair = await startReferencePair(name, octet);
  const pods: Record<PairSide, string> = { runc: '', gvisor: '' };
  const ok = (args: string[]): Promise<string> => crictlOk(pair.cri, args, () => pair.cri.log());
  const stop = async (): Promise<void> => {
    for (const id of [pods.runc, pods.gvisor]) if (id) await crictl(pair.cri, ['rmp', '-f', id]);
    await pair.stop();
  };
  try {
    const busybox = pair.reg.ref('tsvisor-test/busybox:1.0');
    await ok(['pull', busybox]);
    pods.runc = (await ok(['runp', podConfig('runc', pair.dir)])).trim();
    pods.gvisor = (await ok(['runp', '--runtime', 'gvisor', podConfig('gvisor', pair.dir)])).trim();
    return { ...pair, busybox, pods, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Starts the registry, containerd and `tsvisor cri --upstream` with its own
 * CNI bridge and subnet 10.`octet`.<slot>.0/24 (one octet per test file).
 */
export async function startReferencePair(name: string, octet: number): Promise<ReferencePair> {
  const dir = freshDir(name);
  const netDir = path.join(dir, 'net.d');
  fs.mkdirSync(netDir);
  const bridge = `tsv${name.slice(0, 5)}${slot()}`;
  fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-e2e', bridge, `10.${octet}.${slot()}.0/24`, path.join(dir, 'ipam')));
  const reg = await withPushedImages();
  const ctd = await startContainerd({ registry: reg });
  const cri = await startCriServer({ upstream: ctd.endpoint, args: ['--cni-conf-dir', netDir, '--insecure-registries', reg.host] });
  const stop = async () => {
    await cri.stop();
    await ctd.stop();
    await reg.stop();
    await run('ip', ['link', 'delete', bridge]); // CNI leaves its bridge after the last pod
  };
  return { dir, reg, ctd, cri, stop };
}
